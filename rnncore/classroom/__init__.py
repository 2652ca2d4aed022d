"""Classrooms: a teacher's class with a challenge, students who join by a room code, a scored leaderboard."""

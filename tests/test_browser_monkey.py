"""A short monkey in a real browser: seeded random clicks on a real server, no error ever on the page.

The AppTest monkey (tests/monkey.py) covers far more actions; this one checks what only a browser
does: real websocket reruns, fragments that poll on their own, the sidebar's language switch.
"""

import random

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import go_to, open_app, server, wait_idle

__all__ = ["server"]  # the module-scoped fixture, imported so pytest finds it

pytestmark = pytest.mark.browser
PAGES = {"en": ["Home", "Data", "Train", "Inside the cell", "Evaluate", "Compare", "Sweep", "Class", "Teacher",
                "Learn"],
         "zh": ["首页", "数据", "训练", "单元内部", "评估", "比较", "扫描", "班级", "教师", "学习"]}
TRAIN_BUTTONS = {"en": ["Start", "Pause", "Resume", "Step", "Stop"],
                 "zh": ["开始", "暂停", "继续", "训练一轮", "停止"]}


def no_error(page) -> None:
    main = page.get_by_test_id("stMain")
    assert page.get_by_test_id("stException").count() == 0, main.inner_text()[:2000]
    text = main.inner_text()
    assert "Something went wrong" not in text and "此页面出错了" not in text, text[:2000]


@pytest.mark.parametrize("seed", [1])  # one seeded walk (the AppTest monkey and its soak cover many)
def test_random_clicks_in_a_browser_show_no_error(server, page, seed):
    rng = random.Random(seed)
    open_app(page, server.url)
    lang = "en"
    for _ in range(18):
        roll = rng.random()
        if roll < 0.45:
            go_to(page, rng.choice(PAGES[lang]))
        elif roll < 0.55:
            lang = "zh" if lang == "en" else "en"
            page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
            page.get_by_role("option", name={"en": "English", "zh": "简体中文"}[lang]).click()
            wait_idle(page)
        else:
            main = page.get_by_test_id("stMain")  # the Train page's buttons, or Home's scenario Starts
            buttons = [b for n in TRAIN_BUTTONS[lang] for b in main.get_by_role("button", name=n, exact=True).all()]
            enabled = [b for b in buttons if b.is_enabled()]
            if enabled:
                chosen = rng.choice(enabled)
                try:
                    chosen.click(timeout=3000)
                except PlaywrightTimeout:  # the run moved on by itself meanwhile (it ended): a person clicks nothing
                    assert not chosen.is_enabled(), "an enabled button did not take a click"
                wait_idle(page)
            page.wait_for_timeout(rng.choice([100, 600, 1500]))
        no_error(page)

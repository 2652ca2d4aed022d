"""A fragment's rerun asked for on a page the browser has left (ui/fragments.py), sent on purpose.

On a busy server the browser can ask for a rerun of the Train page's live panel, or of the sidebar's status,
after the user moved to another page. Here the test sends that message itself, through Playwright's hold on
the tab's websocket, once Evaluate is drawn. Without ui/fragments.py the panel's rerun ran for the Train
page and Streamlit's frontend cleared the page and failed ("Bad delta path index 5 (should be between [0,
0])"); the sidebar's left Evaluate blank.
"""

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser import go_to, open_app, server

__all__ = ["server"]  # the module-scoped fixture, imported so pytest finds it

pytestmark = pytest.mark.browser
MAIN, SIDEBAR = 0, 1  # the first index of an element's delta path


class Wire:
    """The tab's websocket, passed through: the page each script run was for, the fragments each page drew,
    and ``send`` for a message of our own to the server."""

    def __init__(self, page) -> None:
        self.page_hash, self.fragments, self._server = "", {}, None
        page.route_web_socket("**/_stcore/stream", self._route)

    def _route(self, ws) -> None:
        self._server = ws.connect_to_server()

        def from_server(message) -> None:
            if isinstance(message, bytes):
                self._read(ForwardMsg.FromString(message))
            ws.send(message)

        self._server.on_message(from_server)
        ws.on_message(self._server.send)

    def _read(self, msg) -> None:
        if msg.WhichOneof("type") == "new_session":
            self.page_hash = msg.new_session.page_script_hash
        elif msg.WhichOneof("type") == "delta" and msg.delta.fragment_id:
            self.fragments.setdefault(self.page_hash, {})[msg.metadata.delta_path[0]] = msg.delta.fragment_id

    def rerun_fragment(self, fragment_id: str, page_hash: str) -> None:
        """What the browser sends when a fragment's timer fires on the page ``page_hash``."""
        msg = BackMsg()
        msg.rerun_script.page_script_hash = page_hash
        msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.is_auto_rerun = True
        self._server.send(msg.SerializeToString())


@pytest.mark.parametrize("where", [MAIN, SIDEBAR], ids=["train-panel", "sidebar-status"])
def test_a_fragment_rerun_for_the_page_left_leaves_the_page_shown(server, page, where):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    wire = Wire(page)
    open_app(page, server.url)
    go_to(page, "Train")
    train = wire.page_hash
    fragment = wire.fragments[train][where]  # the live panel in the page's body, the status in the sidebar
    go_to(page, "Evaluate")  # with no run yet, the page stops early (st.stop)
    evaluate = wire.page_hash
    assert evaluate != train
    heading = page.get_by_test_id("stMain").get_by_role("heading", name="Evaluate")
    assert heading.is_visible()

    wire.rerun_fragment(fragment, train)
    page.wait_for_timeout(3000)  # the server's answer, if any, and the browser's drawing of it

    assert errors == []
    assert heading.is_visible(), "the page the browser shows was cleared"
    assert "No finished run yet" in page.get_by_test_id("stMain").inner_text()
    assert page.get_by_test_id("stSidebarNav").is_visible()
    assert wire.page_hash == evaluate  # the server's last run was for Evaluate (none, or the one back to it)
    assert page.url.split("?")[0].endswith("/evaluate")

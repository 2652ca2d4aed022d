"""In a real browser: a Chinese browser opens RNN Lab in Chinese, and no label, option, button or table is cut on
the Train and Compare pages at a desktop's and a small laptop's width, in English or Chinese."""

import pytest
from playwright.sync_api import expect

from tests.browser import go_to, open_app, server, wait_idle
from ui.lang import en, zh

__all__ = ["server"]  # the module-scoped fixture, imported so pytest finds it

pytestmark = pytest.mark.browser
STRINGS = {"en": en.STRINGS, "zh": zh.STRINGS}
LOCALES = {"en": "en-US", "zh": "zh-CN"}

# Texts the page cuts with an ellipsis ("auto (best with early stoppin…"), and tables wider than their frame
# (a dataframe is drawn on a canvas: it scrolls sideways instead).
CUT = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const cut = [...main.querySelectorAll('*')].filter(e => {
        const style = getComputedStyle(e);
        return style.textOverflow === 'ellipsis' && e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1;
    }).map(e => e.innerText.trim()).filter(text => text);
    const boxes = [...main.querySelectorAll('input[role=combobox]')]  // a select box shows its choice in an input
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.value);
    const tables = [...main.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(() => 'a table wider than its frame');
    return [...cut, ...boxes, ...tables];
}"""


def test_a_chinese_browser_opens_in_chinese(server, new_context):
    page = new_context(locale="zh-CN").new_page()
    open_app(page, server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(zh.STRINGS["home.title"])
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox").first).to_have_value("简体中文")
    wait_idle(page)
    assert "lang=zh" in page.url  # the address carries the language: a reload or a friend reads Chinese too
    english = new_context(locale="zh-CN").new_page()
    open_app(english, f"{server.url}/?lang=en")  # a link made in English stays English
    expect(english.get_by_role("heading", level=1)).to_have_text(en.STRINGS["home.title"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_nothing_is_cut_on_train_and_compare_at_1400_and_1024_pixels(server, new_context, lang):
    strings = STRINGS[lang]
    page = new_context(locale=LOCALES[lang], viewport={"width": 1400, "height": 1000}).new_page()
    open_app(page, server.url)
    go_to(page, strings["nav.train"])
    box = page.get_by_label(strings["setting.epochs"], exact=True)
    box.fill("3")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=strings["train.start"], exact=True).click()
    expect(page.get_by_role("button", name=strings["train.stop"], exact=True)).to_be_disabled(timeout=60_000)
    for width, height in ((1400, 1000), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        for title in ("nav.train", "nav.compare"):
            go_to(page, strings[title])
            page.wait_for_timeout(500)  # the charts and tables lay out
            assert page.evaluate(CUT) == [], (width, title)

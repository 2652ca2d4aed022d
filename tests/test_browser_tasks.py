"""A text and labelled sequences in a real browser, as a series goes: the task chosen on Data, the run on Train
with Pause, Step, Resume and Stop, what a text model writes while it trains and its results once it ends; a link
to the former Text & labels page's address opens Train with its experiment set up, in Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import go_to, open_app, server, set_number, wait_idle
from tests.test_browser import LONG_RUN, button, click, epochs_done, grows, holds, wait_for

__all__ = ["server"]  # the module-scoped fixture, imported so pytest finds it

pytestmark = pytest.mark.browser


def test_a_text_model_chosen_on_data_trains_on_train_with_every_control(server, page):
    open_app(page, server.url)
    go_to(page, "Data")
    page.get_by_test_id("stButtonGroup").get_by_text("Character language model").click()
    page.get_by_role("heading", level=2).filter(has_text="Genesis").wait_for(timeout=30_000)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("197,408 characters, 70 distinct")).to_be_visible()
    expect(main.get_by_text("Characters: 138,186 to train on")).to_be_visible()
    go_to(page, "Train")
    expect(main.get_by_text("197,408 characters · Character language model")).to_be_visible()
    set_number(page, "Epochs", LONG_RUN)
    set_number(page, "Early-stopping patience", 0)
    set_number(page, "Hidden units", 8)
    click(page, "Start")
    main.get_by_text("What the model wrote after epoch").wait_for(timeout=90_000)
    before, after = grows(page)
    assert after > before > 0, (before, after)

    click(page, "Pause")
    button(page, "Resume").wait_for(timeout=30_000)
    page.get_by_text("Paused ·").wait_for(timeout=30_000)
    before, after = holds(page)
    assert after == before > 0, f"training went on while paused (epoch {before} -> {after})"
    click(page, "Step")
    assert wait_for(lambda: epochs_done(page) == before + 1, timeout=60), (before, epochs_done(page))
    click(page, "Resume")
    button(page, "Pause").wait_for(timeout=30_000)
    before, after = grows(page)
    assert after > before, f"training did not go on after Resume (epoch {before} -> {after})"

    click(page, "Stop")
    page.get_by_text("Stopped ·").wait_for(timeout=60_000)
    main.get_by_role("heading", name="Scores").wait_for(timeout=60_000)
    expect(main.get_by_role("heading", name="Text written by the model")).to_be_visible()
    expect(main.get_by_role("heading", name="Inside: the text coloured by one unit")).to_be_visible()
    expect(button(page, "Start")).to_be_enabled(timeout=20_000)


def test_a_link_to_the_former_text_and_labels_address_opens_train_with_its_experiment(server, page):
    link = (f"{server.url}/tasks?task=classify&source=synthetic:sign_memory&hidden_size=12&epochs=3&patience=0"
            "&lang=zh")
    open_app(page, link)
    page.wait_for_function("() => location.pathname === '/train'", timeout=60_000)
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    assert page.get_by_role("heading", level=1).first.inner_text().strip() == "训练"
    expect(main.get_by_text("· 序列分类")).to_be_visible()
    expect(page.get_by_label("隐藏单元数", exact=True)).to_have_value("12")
    assert "task=classify" in page.url and "hidden_size=12" in page.url  # the address follows the experiment
    click(page, "开始")
    main.get_by_role("heading", name="得分").wait_for(timeout=120_000)
    expect(main.get_by_role("heading", name="测试序列：混淆矩阵与错误")).to_be_visible()

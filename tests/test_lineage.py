"""Every door that stores a run records where its weights come from (rnncore.training.lineage): trained here from
weights this server initialised, imported from a zip, or continued from either (it goes on with that line)."""

from __future__ import annotations

import re

from rnncore.__main__ import main
from rnncore.io.bundle import export_run
from rnncore.lab import Lab
from rnncore.lab.archive import StoreArchive
from rnncore.store import StoreSettings, open_store
from rnncore.training.lineage import FRESH, IMPORTED, NOT_KNOWN, Lineage
from tests.test_cli import TINY
from tests.test_lab import tiny


def test_a_line_goes_on_from_its_origin_and_gathers_its_data():
    airline, shop = {"name": "airline_passengers", "sha256": ""}, {"name": "shop.csv", "sha256": "ab" * 32}
    line = FRESH.then(airline).then(airline)
    assert line == Lineage("here", ("airline_passengers",))
    assert line.then(shop).data == ("airline_passengers", "ab" * 32)
    assert IMPORTED.then(shop).origin == "imported"
    assert Lineage.from_json(line.to_json()) == line
    assert Lineage.from_json("not json") == Lineage.from_json(None) == NOT_KNOWN
    assert Lineage.from_json('{"origin": "mine", "data": ["x"]}') == Lineage("unknown", ("x",))


def test_the_command_line_and_the_lab_record_each_runs_lineage(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    assert main(["train", "--data", "sample:airline_passengers", *TINY, "--store", url]) == 0
    key = re.search(r"^workspace (\S+) \(new", capsys.readouterr().out, re.M)[1]
    store = open_store(url, StoreSettings())
    try:
        assert store.get_run(key, 1).lineage == Lineage("here", ("airline_passengers",))  # train --store

        lab = Lab(archive=StoreArchive(store, key))
        lab.load("sample:airline_passengers")
        tiny(lab, epochs=2)
        started = lab.start()
        assert lab.join(timeout=60)
        imported = lab.import_run(export_run(lab.result_of(lab.run(started.id)), lab.run(started.id).history))
        from_import = lab.continue_run(lab.run(imported.id))
        assert lab.join(timeout=60)
        from_here = lab.continue_run(lab.run(started.id))
        assert lab.join(timeout=60)
        assert lab.run(from_import.id).lineage.origin == "imported"  # the Lab's records read it back
        lab.close()
        lineage = {n: store.get_run(key, n).lineage.origin for n in (started.id, imported.id, from_import.id,
                                                                      from_here.id)}
        assert lineage == {started.id: "here", imported.id: "imported", from_import.id: "imported",
                           from_here.id: "here"}
        assert store.new_runs(key, [(lab.config, {"name": "x"}, 1)]) and store.list_runs(key)[-1].lineage == NOT_KNOWN
    finally:
        store.close()

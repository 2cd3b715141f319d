"""`redline batch`: outputs, failures kept per project, resume, workers, dask, compiled packs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from click.testing import CliRunner

import redline
from conftest import METRIC, X0, Y0, box, make, write_pack
from redline import _batch_run as batch_run_module
from redline import batch as batch_module
from redline.batch import run_batch
from redline.cli import cli
from redline.compiled import CACHE_DIR, compile_pack
from redline.errors import InputError

ON = "2026-01-01"
OUTPUTS = ("projects.parquet", "findings.parquet", "summary.json")


def _footprints(n: int, seed: int) -> list[shapely.Geometry]:
    """Seeded boxes of 50–600 m spread over the synthetic pack (0–20 km)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(200, 19_000, n)
    y = rng.uniform(200, 19_000, n)
    w = rng.uniform(50, 600, n)
    h = rng.uniform(50, 600, n)
    return [box(a, b, a + c, b + d) for a, b, c, d in zip(x, y, w, h, strict=True)]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """60 footprints (ids Q00…), of which Q07 has no geometry and Q13 lies outside China."""
    folder = tmp_path_factory.mktemp("batch-inputs")
    geoms = _footprints(60, seed=9)
    # A few chosen ones so that every verdict shows up.
    geoms[0] = box(1_500, 1_500, 1_800, 1_800)      # inside the red line
    geoms[1] = box(2_800, 2_800, 3_300, 3_300)      # across the red-line edge
    geoms[2] = box(5_200, 1_200, 5_400, 1_400)      # reserve core
    geoms[3] = box(3_100, 1_200, 3_400, 1_500)      # near the red line
    geoms[7] = None
    geoms[13] = shapely.box(X0 - 9e6, Y0 - 9e6, X0 - 9e6 + 100, Y0 - 9e6 + 100)
    frame = gpd.GeoDataFrame({"XMBH": [f"Q{i:02d}" for i in range(60)],
                              "XMMC": [f"项目{i}" for i in range(60)],
                              "HYDM": [None if i % 3 else "C2614" for i in range(60)]},
                             geometry=geoms, crs=METRIC)
    path = folder / "parcels.gpkg"
    frame.to_file(path, engine="pyogrio")
    return path


def _run(inputs, outdir, pack_dir, **kwargs):
    kwargs.setdefault("progress", "none")
    kwargs.setdefault("on", pd.Timestamp(ON).date())
    return run_batch([inputs], outdir, pack=pack_dir, **kwargs)


@pytest.fixture(scope="module")
def serial(inputs, pack_dir, tmp_path_factory) -> Path:
    """An uninterrupted single-process run in chunks of 7 (the reference)."""
    out = tmp_path_factory.mktemp("serial") / "out"
    _run(inputs, out, pack_dir, chunk_size=7)
    return out


def _verdicts(frame: pd.DataFrame) -> dict:
    return {k: (v if isinstance(v, str) else None) for k, v in frame["verdict"].items()}


def _same_files(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_outputs_match_single_screening_and_read_with_plain_geopandas(inputs, serial, pack_dir):
    projects = gpd.read_parquet(serial / "projects.parquet")
    findings = gpd.read_parquet(serial / "findings.parquet")
    assert projects.crs.to_epsg() == 4490 and findings.crs.to_epsg() == 4490
    assert projects["project_id"].tolist() == [f"Q{i:02d}" for i in range(60)]
    assert pq.ParquetFile(serial / "projects.parquet").metadata.num_row_groups == 9  # 60 / 7

    expected = redline.screen(redline.read_projects(inputs), redline.load_pack(pack_dir),
                              on=pd.Timestamp(ON).date())
    want = expected.projects.set_index("project_id")
    got = projects.set_index("project_id")
    assert _verdicts(got) == _verdicts(want)
    assert got.loc["Q00", "verdict"] == "prohibited" and got.loc["Q03", "verdict"] != "clear"
    assert np.allclose(got["area_m2"].to_numpy(float), want["area_m2"].to_numpy(float),
                       equal_nan=True)
    assert len(findings) == len(expected.findings)
    for pid, group in expected.findings.groupby("project_id"):
        mine = findings[findings["project_id"] == pid]
        assert sorted(mine["zone_id"].fillna("")) == sorted(group["zone_id"].fillna(""))
        assert mine["overlap_m2"].sum() == pytest.approx(group["overlap_m2"].sum(), rel=1e-9)
    assert (projects["findings"].to_numpy() ==
            findings.groupby("project_id").size().reindex(projects["project_id"]).fillna(0)
            .to_numpy()).all()
    # Each finding's sentence is the result document's.
    from redline.result import describe_finding

    judged = expected.findings[expected.findings["verdict"] != "clear"]
    want_reasons = sorted(describe_finding(f, expected.pack, "zh") for f in judged.itertuples())
    assert sorted(findings["reason"].dropna()) == want_reasons
    assert findings.loc[findings["verdict"] == "clear", "reason"].isna().all()
    # The overlap pieces are real geometry: the red-line piece of Q01 is its part inside.
    piece = findings[(findings["project_id"] == "Q01")
                     & (findings["kind"] == "ecological_redline")]
    assert piece["overlap_m2"].iloc[0] == pytest.approx(200 * 200, rel=2e-3)


def test_broken_features_are_recorded_and_the_rest_screened(serial):
    projects = gpd.read_parquet(serial / "projects.parquet").set_index("project_id")
    assert "no usable geometry" in projects.loc["Q07", "error"]
    assert "outside China" in projects.loc["Q13", "error"]
    assert projects.loc[["Q07", "Q13"], "verdict"].isna().all()
    good = projects.drop(index=["Q07", "Q13"])
    assert good["error"].isna().all() and good["verdict"].notna().all()
    summary = json.loads((serial / "summary.json").read_text(encoding="utf-8"))
    assert (summary["projects"], summary["screened"], summary["failed"]) == (60, 58, 2)
    assert sum(summary["verdicts"].values()) == 58
    assert summary["verdicts"]["prohibited"] == (good["verdict"] == "prohibited").sum()


def test_an_engine_failure_is_narrowed_to_its_project(inputs, pack_dir, tmp_path, monkeypatch):
    real = batch_run_module.screen_projects

    def flaky(projects, pack, settings):
        q20 = projects[projects["project_id"] == "Q20"]
        if len(q20) and not q20["errors"].iloc[0]:  # a geometry that breaks the engine
            raise RuntimeError("boom")
        return real(projects, pack, settings)

    monkeypatch.setattr(batch_run_module, "screen_projects", flaky)
    summary = _run(inputs, tmp_path / "out", pack_dir, chunk_size=10)
    projects = gpd.read_parquet(tmp_path / "out" / "projects.parquet").set_index("project_id")
    assert "internal error while screening: RuntimeError: boom" in projects.loc["Q20", "error"]
    assert projects.drop(index=["Q07", "Q13", "Q20"])["verdict"].notna().all()
    assert summary.failed == 3 and summary.projects == 60
    # The chunk was screened in halves and re-joined: its GeoParquet bbox still fits.
    for name, frame in (("projects", projects),
                        ("findings", gpd.read_parquet(tmp_path / "out" / "findings.parquet"))):
        geo = json.loads(pq.read_schema(tmp_path / "out" / f"{name}.parquet").metadata[b"geo"])
        assert geo["columns"]["geometry"]["bbox"] == pytest.approx(list(frame.total_bounds))


def test_geo_metadata_carried_from_the_screening_matches_the_written_geometry(inputs, pack_dir):
    import pyarrow as pa

    from redline._batch_tables import _carried_geo, geo_metadata, result_tables

    result = redline.screen(redline.read_projects(inputs), redline.load_pack(pack_dir))
    for table in result_tables(result):
        carried = _carried_geo(table)
        assert carried == geo_metadata([table]) and carried["columns"]["geometry"]["bbox"]
        # Concatenated tables keep the first one's metadata: no longer trusted.
        assert _carried_geo(pa.concat_tables([table, table.slice(0, 3)])) is None


def test_resume_after_a_crash_gives_byte_identical_files(inputs, serial, pack_dir, tmp_path,
                                                         monkeypatch):
    out = tmp_path / "out"
    real = batch_module._State.record
    calls = []

    def crash_after_three(self, *args, **kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(batch_module._State, "record", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        _run(inputs, out, pack_dir, chunk_size=7)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["done"]) == ["0", "1", "2"] and not manifest["complete"]
    assert not (out / "projects.parquet").exists()
    # A part written but not yet recorded (killed between the two) is redone, not duplicated.
    shutil.copy(out / "parts" / "projects-000000.parquet", out / "parts" / "projects-000003.parquet")

    monkeypatch.setattr(batch_module._State, "record", real)
    with pytest.raises(InputError, match="pass --resume"):
        _run(inputs, out, pack_dir, chunk_size=7)
    with pytest.raises(InputError, match="cannot resume: chunk_size"):
        _run(inputs, out, pack_dir, chunk_size=8, resume=True)
    summary = _run(inputs, out, pack_dir, chunk_size=7, resume=True)
    assert summary.resumed == 3 and summary.chunks == 9 and summary.projects == 60
    _same_files(out, serial)
    assert not (out / "parts").exists()
    again = _run(inputs, out, pack_dir, chunk_size=7, resume=True)  # already complete
    assert again.projects == 60
    _same_files(out, serial)


def test_two_worker_processes_give_the_serial_files(inputs, serial, pack_dir, tmp_path):
    pack = tmp_path / "pack"  # a copy: the run compiles it for the workers
    shutil.copytree(pack_dir, pack)
    _run(inputs, tmp_path / "out", pack, chunk_size=7, workers=2)
    assert (pack / CACHE_DIR / "manifest.json").exists()
    for name in ("projects.parquet", "findings.parquet"):
        mine, theirs = pq.read_table(tmp_path / "out" / name), pq.read_table(serial / name)
        assert mine.equals(theirs), name
        # Same metadata too, but for the pack's folder.
        meta = {k: v.decode().replace(str(pack), str(pack_dir)) for k, v in mine.schema.metadata.items()}
        assert meta == {k: v.decode() for k, v in theirs.schema.metadata.items()}


def test_dask_cluster_gives_the_serial_files(inputs, serial, pack_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    # Two worker processes: results travel pickled and shuffled, as on a real cluster.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        summary = _run(inputs, tmp_path / "out", pack_dir, chunk_size=7,
                       scheduler=cluster.scheduler_address)
    assert summary.projects == 60 and summary.failed == 2
    _same_files(tmp_path / "out", serial)


def test_compiled_pack_is_used_and_rebuilt_when_a_layer_file_changes(tmp_path):
    folder = write_pack(tmp_path / "pack")
    cache = compile_pack(folder)
    manifest = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    compiled = redline.load_pack(folder)
    plain = redline.load_pack(folder, use_cache=False)
    eco = compiled.layer("redline")
    assert len(eco.zones) == len(plain.layer("redline").zones)
    assert np.allclose(shapely.area(eco.metric), shapely.area(plain.layer("redline").metric))
    project = [box(2_800, 2_800, 3_300, 3_300)]
    a = redline.screen(make(project), compiled).findings
    b = redline.screen(make(project), plain).findings
    assert a["overlap_m2"].sum() == pytest.approx(b["overlap_m2"].sum(), rel=1e-12)

    # Move the red line 1 km east: the cache no longer matches and is rebuilt.
    layer_file = folder / "redline.shp"
    zones = gpd.read_file(layer_file, encoding="GBK").to_crs(METRIC)
    zones["geometry"] = zones.geometry.translate(1_000, 0)
    zones.to_crs(4490).to_file(layer_file, encoding="GBK", engine="pyogrio")
    (folder / "redline.cpg").unlink(missing_ok=True)
    moved = redline.load_pack(folder)
    again = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    assert again["key"] != manifest["key"]
    shift = moved.layer("redline").zones.total_bounds[0] - eco.zones.total_bounds[0]
    assert 0.009 < shift < 0.011  # ~1 km of longitude at 24.4°N
    inside = redline.screen(make([box(3_500, 1_500, 3_700, 1_700)]), moved)
    assert inside.projects["verdict"].iloc[0] == "prohibited"


def test_compiled_pack_stores_the_edge_index_and_keys_it_by_the_cut_rule(tmp_path, monkeypatch):
    from redline import compiled as compiled_module
    from redline._edges import EdgeIndex

    folder = write_pack(tmp_path / "pack")
    cache = compile_pack(folder)
    manifest = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    pack = redline.load_pack(folder)
    for entry in manifest["layers"]:
        layer = pack.layer(entry["id"])
        if not len(layer.metric):
            continue
        assert (cache / entry["edges"]).exists() and layer.edge_loader is not None
        stored, built = layer.edges, EdgeIndex.build(layer.metric)
        assert np.array_equal(stored.owner, built.owner)
        assert shapely.equals_exact(stored.pieces, built.pieces, tolerance=0).all()
    # Another rule for cutting boundary pieces makes the stored pieces stale: rebuilt.
    monkeypatch.setattr(compiled_module, "PIECE_LENGTH", 250.0)
    redline.load_pack(folder)
    again = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    assert again["key"] != manifest["key"]


def test_access_list_findings_in_batch_use_the_industry_field(tmp_path):
    demo = redline.load_pack(None)
    files = [demo.path / "projects" / f for f in
             ("p15_chemical_in_key_unit.geojson", "p16_plating_in_key_unit.geojson")]
    frames = [gpd.read_file(f) for f in files]
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    frame = frame.rename(columns={"HYDM": "行业"})
    path = tmp_path / "two.geojson"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match="--industry-field"):
        run_batch([path], tmp_path / "bad", industry_field="HY", progress="none")
    run_batch([path], tmp_path / "out", industry_field="行业", progress="none", reports=["json"])
    projects = gpd.read_parquet(tmp_path / "out" / "projects.parquet").set_index("project_id")
    findings = gpd.read_parquet(tmp_path / "out" / "findings.parquet")
    assert projects.loc["P15", "industry"] == "C2661"
    expected = redline.screen(redline.read_projects(path, industry_field="行业"), demo)
    want = expected.findings[expected.findings["kind"] == "access_list"]
    got = findings[findings["kind"] == "access_list"]
    assert len(got) == len(want) > 0
    assert sorted(got["clause_id"]) == sorted(want["clause_id"])
    assert got["clause_text"].notna().all() and (got["clause_row"] > 0).all()
    # Land cover and terrain from the pack's rasters, per project, as Result's tables.
    cover = expected.land_cover_of("P15")
    got_cover = projects.loc["P15", "land_cover"]
    assert [c["code"] for c in got_cover] == cover["code"].tolist() and len(got_cover) > 0
    assert [c["area_m2"] for c in got_cover] == pytest.approx(cover["area_m2"].tolist())
    terrain = expected.terrain_of("P16")
    got_terrain = projects.loc["P16", "terrain"]
    assert got_terrain[0]["elevation_mean"] == pytest.approx(terrain["elevation_mean"].iloc[0])
    # Per-project reports are the result document of that project alone.
    report = json.loads((tmp_path / "out" / "reports" / "P15" / "result.json").read_text("utf-8"))
    alone = expected.to_dict()["projects"][0]
    assert report["projects"][0]["clauses"] == alone["clauses"] != []
    assert report["projects"][0]["findings"] == alone["findings"]
    assert _verdicts(projects) == _verdicts(expected.projects.set_index("project_id"))


def test_cli_batch(inputs, pack_dir, tmp_path):
    out = tmp_path / "out"
    run = CliRunner().invoke(cli, ["batch", str(inputs), "--pack", str(pack_dir), "-o", str(out),
                                   "--chunk-size", "25", "--csv", "--xlsx", "--quiet"])
    assert run.exit_code == 0, run.output
    assert {p.name for p in out.iterdir()} == {*OUTPUTS, "manifest.json", "summary.csv",
                                               "summary.xlsx"}
    again = CliRunner().invoke(cli, ["batch", str(inputs), "--pack", str(pack_dir), "-o", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output
    failing = CliRunner().invoke(cli, ["batch", str(inputs), "--pack", str(pack_dir), "-o", str(out),
                                       "--chunk-size", "25", "--resume", "--fail-on", "prohibited",
                                       "--quiet"])
    assert failing.exit_code == 1


def test_few_projects_use_local_edges_with_the_same_findings(inputs, pack_dir, monkeypatch):
    from redline import engine

    projects = redline.read_projects(inputs).iloc[:12]
    local_pack = redline.load_pack(pack_dir)
    local = pd.concat([redline.screen(projects.iloc[[i]], local_pack).findings
                       for i in range(len(projects))], ignore_index=True)
    assert not any("edges" in layer.__dict__ for layer in local_pack.layers)  # never built
    monkeypatch.setattr(engine, "_LOCAL_EDGE_ZONES", 0)
    wide_pack = redline.load_pack(pack_dir)
    wide = redline.screen(projects, wide_pack).findings
    assert any("edges" in layer.__dict__ for layer in wide_pack.layers)
    columns = ["project_id", "layer", "zone_id", "relation"]
    a = local.sort_values(columns, na_position="first").reset_index(drop=True)
    b = wide.sort_values(columns, na_position="first").reset_index(drop=True)
    assert a[columns].fillna("").equals(b[columns].fillna(""))
    assert np.allclose(a["overlap_m2"].to_numpy(float), b["overlap_m2"].to_numpy(float),
                       equal_nan=True, rtol=1e-12)
    assert np.allclose(a["distance_m"].to_numpy(float), b["distance_m"].to_numpy(float),
                       equal_nan=True, rtol=1e-12)
    assert (a["relation"] == "near").any()


def test_summaries_count_access_list_conflicts_and_keep_formulas_as_text(tmp_path):
    import csv

    import openpyxl

    demo = redline.load_pack(None)
    files = [demo.path / "projects" / f for f in ("p15_chemical_in_key_unit.geojson",
                                                  "p16_plating_in_key_unit.geojson",
                                                  "p17_bakery_in_key_unit.geojson")]
    frames = [gpd.read_file(f) for f in files]
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    frame.loc[1, "HYDM"] = None  # P16 without an industry code: its list cannot be checked
    frame.loc[2, "XMMC"] = '=HYPERLINK("http://example.invalid","x")'
    path = tmp_path / "three.geojson"
    frame.to_file(path, engine="pyogrio")
    run_batch([path], tmp_path / "out", industry_field="HYDM", progress="none", csv=True,
              xlsx=True)
    expected = redline.screen(redline.read_projects(path, industry_field="HYDM"), demo)
    access = expected.findings[expected.findings["kind"] == "access_list"]
    want = access.groupby("project_id").size().to_dict()
    assert want.get("P15", 0) > 0 and "P17" not in want

    with open(tmp_path / "out" / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["project_id"]: r for r in csv.DictReader(fh)}
    assert rows["P15"]["access_list_conflicts"] == str(want["P15"])
    assert rows["P16"]["access_list_conflicts"] == ""  # not checked, not "0"
    assert rows["P17"]["access_list_conflicts"] == "0"
    assert rows["P17"]["name"] == "'" + frame.loc[2, "XMMC"]

    book = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    sheet = book["projects"]
    header = [c.value for c in sheet[1]]
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2,
                                                                              values_only=True)}
    assert by_id["P15"]["access_list_conflicts"] == want["P15"]
    assert by_id["P16"]["access_list_conflicts"] is None
    name_cell = next(r[1] for r in sheet.iter_rows(min_row=2) if r[0].value == "P17")
    assert name_cell.value == frame.loc[2, "XMMC"] and name_cell.data_type == "s"


def test_clause_text_columns_keep_numbers_as_text():
    from redline._batch_tables import _as_text

    assert _as_text(np.array(["限制", None], dtype=object)).to_pylist() == ["限制", None]
    mixed = np.array(["≤ 30", 30, 2.5, None], dtype=object)  # a number read from a cell
    assert _as_text(mixed).to_pylist() == ["≤ 30", "30", "2.5", None]

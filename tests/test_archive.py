"""Zip archives: zip-slip, zip bombs, corrupt and truncated archives are refused."""

import zipfile

import geopandas as gpd
import pytest

from conftest import box
from redline import read_projects
from redline.errors import InputError
from redline.io.archive import ZipLimits, check_archive, extract_archive


@pytest.fixture()
def geojson_bytes(tmp_path):
    path = tmp_path / "src.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 100, 100)], crs=4548).to_crs(
        4490).to_file(path)
    return path.read_bytes()


@pytest.mark.parametrize("entry", ["../../evil.geojson", "/etc/evil.geojson",
                                   "data/../../evil.geojson", "C:/evil.geojson",
                                   "data\\..\\..\\evil.geojson"])
def test_zip_slip_is_refused_before_anything_is_written(tmp_path, geojson_bytes, entry):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok.geojson", geojson_bytes)
        zf.writestr(zipfile.ZipInfo(entry), geojson_bytes)
    with pytest.raises(InputError, match=r"slip.zip: entry .* points outside the archive's "
                                         r"folder \(zip-slip\); refusing the archive"):
        read_projects(path)
    assert not (tmp_path.parent / "evil.geojson").exists()
    assert not list(tmp_path.rglob("evil.geojson"))


def test_symlink_entry_is_refused(tmp_path, geojson_bytes):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("link.geojson")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="zip-slip"):
        read_projects(path)


def test_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.geojson", b"\0" * (40 * 1024 * 1024))  # 40 MiB of zeros, ~40 KiB zipped
    with pytest.raises(InputError, match=r"bomb.zip: entry 'big.geojson' expands [\d,]+ times "
                                         r"\(limit 200×; a zip bomb\?\); refusing to expand it"):
        read_projects(path)
    with pytest.raises(InputError, match="expands to more than"):
        check_archive(path, ZipLimits(max_total_bytes=1024**2, max_ratio=1e9))
    with pytest.raises(InputError, match="holds 1 entries"):
        check_archive(path, ZipLimits(max_entries=0))


def test_entry_longer_than_declared_is_stopped(tmp_path, geojson_bytes):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.geojson", geojson_bytes)
    data = bytearray(path.read_bytes())
    # shrink the declared size in both headers: extraction must stop at the declared size
    size = len(geojson_bytes).to_bytes(4, "little")
    small = (len(geojson_bytes) // 2).to_bytes(4, "little")
    data = bytes(data).replace(size + size, small + small)
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"liar.zip: entry 'a.geojson'"):
        extract_archive(path, tmp_path / "out")


def test_corrupt_and_truncated_archives(tmp_path, geojson_bytes):
    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.geojson", geojson_bytes)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(InputError) as info:
        read_projects(path)
    assert str(info.value) == (f"{path}: not a readable zip archive (corrupt or truncated); "
                               "re-create or re-download it")
    flipped = tmp_path / "crc.zip"
    broken = bytearray(data)
    broken[60] ^= 0xFF  # inside the compressed data: CRC or inflate error on extraction
    flipped.write_bytes(bytes(broken))
    with pytest.raises(InputError, match=r"crc.zip: entry 'a.geojson' is corrupt or truncated"):
        read_projects(flipped)
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="not a readable zip archive"):
        read_projects(tmp_path / "junk.zip")


def test_empty_and_useless_archives(tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "no data here")
        zf.writestr("__MACOSX/._a.shp", b"junk")
    with pytest.raises(InputError, match=r"docs.zip: holds no dataset redline reads"):
        read_projects(path)

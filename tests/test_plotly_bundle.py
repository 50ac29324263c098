"""The basic plotly.js bundle the charts load (assets/plotly-basic.js) matches the installed plotly and is served."""

import re
from pathlib import Path

import plotly

ROOT = Path(__file__).resolve().parents[1]


def _version(text: str) -> str:
    return re.search(r"plotly\.js(?: \(basic - minified\))? v(\d+\.\d+\.\d+)", text[:400]).group(1)


def test_basic_bundle_is_the_version_of_the_full_one():
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")[:400]
    loader = (ROOT / "assets" / "plotly-basic.js").read_text(encoding="utf-8")
    name = re.search(r'"(assets/vendor/plotly-basic-[0-9.]+\.min\.js)"', loader).group(1)
    basic = (ROOT / name).read_text(encoding="utf-8")[:400]
    assert _version(basic) == _version(full) and name.endswith(f"-{_version(full)}.min.js")


def test_bundle_is_served_but_not_loaded_on_every_page(app, client, laeser_a):
    version = _version((Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8"))
    response = client.get(f"/assets/vendor/plotly-basic-{version}.min.js")
    assert response.status_code == 200 and b"plotly.js (basic" in response.data[:200]
    # Its name changes with its version, so the browser keeps it (no revalidation each time a chart is drawn).
    assert "max-age=31536000" in response.headers["Cache-Control"]
    page = client.get("/information").get_data(as_text=True)
    assert "plotly-basic.js" in page and "vendor/plotly-basic" not in page

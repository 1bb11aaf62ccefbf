"""The Jinja environment of the HTML pages."""

from __future__ import annotations

from pathlib import Path

from starlette.templating import Jinja2Templates

from reader.web.assets import Assets
from reader.web.danish import danish_date, tel_href

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def make_templates(assets: Assets) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals["asset_url"] = assets.url
    env.filters["danish_date"] = danish_date
    env.filters["tel_href"] = tel_href
    return templates

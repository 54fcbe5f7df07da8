"""The EMR Serverless image's package list (serverless/requirements-image.txt) must be closed
under its packages' own dependencies (read offline from the installed metadata), or the image
would build but miss a module at run time; and its pins must be requirements.txt's."""

from __future__ import annotations

from conftest import REPO
from packaging.utils import canonicalize_name
from test_requirements_roles import PIN, missing_dependencies, pins


def image_pins() -> dict[str, str]:
    out = {}
    for line in (REPO / "serverless" / "requirements-image.txt").read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def test_image_set_is_closed_under_its_dependencies():
    # pyspark and its py4j come from the base image's Spark; py4j is pinned anyway (as on EMR).
    assert missing_dependencies(set(image_pins())) == []


def test_image_pins_are_requirements_pins():
    everything = pins(None)
    assert {n: everything.get(n) for n in image_pins()} == image_pins()

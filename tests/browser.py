"""A headless Chromium from Debian's packages (chromium, chromium-driver), driven by Selenium.

The system chromedriver is named explicitly, so Selenium never downloads a browser.
Downloads land in a folder the test chooses. Without the packages the browser tests are
skipped, except in CI, where tests/run-all.sh installs them and a skip would hide a gap.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver",)


def _first(paths: tuple[str, ...], name: str) -> str | None:
    return next((p for p in paths if os.path.exists(p)), None) or shutil.which(name)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    chromium, driver = _first(CHROMIUM, "chromium"), _first(DRIVER, "chromedriver")
    if chromium is None or driver is None:
        message = "Chromium is not installed: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--lang=en-US",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    drv = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    drv.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield drv
    finally:
        drv.quit()

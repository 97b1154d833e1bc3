"""The Tencent SDK the tests speak through is the pinned `tencentcloud-sdk-python-ses`, file for file: no other
package (Tencent's whole SDK, which tccli brings) has written over its modules."""

from __future__ import annotations

import base64
import hashlib
from importlib import metadata

SES_SDK = "tencentcloud-sdk-python-ses"
# A virtual environment from before tccli had one of its own still holds the whole SDK.
FIX = "`make clean test` installs afresh (tccli now lives in .venv/tccli)"


def test_the_ses_sdks_files_are_the_ones_its_package_installed() -> None:
    files = [  # tencentcloud/__init__.py is the common SDK's too, and the last installed wins: it is left out
        path
        for path in metadata.files(SES_SDK) or []
        if path.as_posix().startswith("tencentcloud/ses/") and path.suffix == ".py" and path.hash is not None
    ]
    assert any(path.name == "ses_client.py" for path in files)
    for path in files:
        assert path.hash is not None
        digest = hashlib.new(path.hash.mode, path.locate().read_bytes()).digest()
        recorded = base64.urlsafe_b64decode(path.hash.value + "=" * (-len(path.hash.value) % 4))
        assert digest == recorded, f"{path} is not the file {SES_SDK} installed: {FIX}"


def test_no_other_package_installs_the_ses_modules() -> None:
    owners = {
        distribution.metadata["Name"]
        for distribution in metadata.distributions()
        for path in distribution.files or []
        if path.as_posix().startswith("tencentcloud/ses/")
    }
    assert owners == {SES_SDK}, f"{sorted(owners - {SES_SDK})} install SES modules too: {FIX}"

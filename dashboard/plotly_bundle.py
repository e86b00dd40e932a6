"""Which plotly.js the page loads, and fetching the smaller one.

The plotly package ships the full plotly.js (4.8 MB: maps, 3-D, WebGL, ...). The
dashboard draws only bars, heatmaps and lines, all in plotly's own "cartesian" bundle
(1.5 MB), which Chromium loads and runs in about 470 ms instead of 1030 ms: most of the
first screen's wait for its charts. The cartesian bundle is not in any Python package,
so ``make`` fetches it once from the npm registry (the same version as the plotly
package's, checked against its published sha512) into ``dashboard/static/``:

    python -m dashboard.plotly_bundle

and ``bpttscope`` into its static folder in the user's cache (dashboard/cli.py).
Without it (offline) the dashboard serves the full bundle: the same charts, a slower
first screen. Never imports streamlit.
"""
import base64
import hashlib
import io
import json
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import plotly

STATIC = Path(__file__).parent / "static"
FULL = "plotly.min.js"
CARTESIAN = "plotly-cartesian.min.js"
PACKAGE = "plotly.js-cartesian-dist-min"
REGISTRY = "https://registry.npmjs.org"
# sha512 of the tarballs of versions we have checked (else the registry's own record)
KNOWN = {"4.1.1": "sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/"
                  "Z6w4P5O0Jus/Qr5EefHVeg=="}
MAX_BYTES = 20 * 2 ** 20           # the tarball and the file in it (4.1.1: 0.5 / 1.5 MB)
HEADER = re.compile(rb"^/\*\*\s*\*\s*plotly\.js (\(cartesian - minified\) )?v(\S+)\s")


def full_bundle():
    """The installed plotly package's full plotly.min.js."""
    return Path(plotly.__file__).parent / "package_data" / FULL


def version(path, cartesian=False):
    """The plotly.js version a bundle says it is in its licence header (None if it is
    not that bundle, or unreadable)."""
    try:
        with open(path, "rb") as f:
            return _header_version(f.read(200), cartesian)
    except OSError:
        return None


def _header_version(head, cartesian):
    match = HEADER.match(head)
    if match is None or bool(match.group(1)) != cartesian:
        return None
    return match.group(2).decode()


def _cartesian_ready(static):
    """The plotly package's plotly.js version if ``static`` holds its cartesian bundle."""
    wanted = version(full_bundle())
    return wanted if wanted and version(static / CARTESIAN, cartesian=True) == wanted else None


def chosen(static=STATIC, create=True):
    """The file name in ``static`` the page should load: the cartesian bundle if it is
    there and the same version as the plotly package's, else the full one, copied
    there (once, and again after a plotly upgrade). None if neither can be served, or
    if ``static`` does not exist and ``create`` is false (the app never makes a folder:
    beside an installed copy it would be inside site-packages)."""
    if _cartesian_ready(static):
        return CARTESIAN
    if not create and not static.is_dir():
        return None
    source, target = full_bundle(), static / FULL
    try:
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            _write(static, FULL, lambda out: _copy(source, out))
        return FULL
    except OSError:
        return None


def _copy(source, out):
    with source.open("rb") as f:
        shutil.copyfileobj(f, out)


def _write(static, name, fill):
    """Write ``static/name`` whole or not at all (never half a file under its name)."""
    static.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=static, suffix=".partial", delete=False) as part:
        try:
            fill(part)
        except BaseException:
            Path(part.name).unlink(missing_ok=True)
            raise
    Path(part.name).chmod(0o644)                  # as readable as a copied file
    Path(part.name).replace(static / name)


def fetch(static=STATIC, registry=REGISTRY, timeout=30):
    """Put the cartesian bundle matching the plotly package in ``static``. Returns what
    it did, in words; raises ValueError or OSError (network) if it could not."""
    ready = _cartesian_ready(static)
    if ready:
        return f"the cartesian plotly.js {ready} is already in {static}"
    wanted = version(full_bundle())
    if wanted is None:
        raise ValueError(f"cannot read the plotly.js version of {full_bundle()}")
    meta = json.loads(_get(f"{registry}/{PACKAGE}/{wanted}", timeout, 2 ** 20))
    dist = meta.get("dist") or {}
    integrity = KNOWN.get(wanted) or dist.get("integrity", "")
    if not integrity.startswith("sha512-") or not str(dist.get("tarball", "")).startswith(
            registry + "/"):
        raise ValueError(f"the registry's record of {PACKAGE} {wanted} is not usable")
    tarball = _get(dist["tarball"], timeout, MAX_BYTES)
    digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if "sha512-" + digest != integrity:
        raise ValueError(f"{PACKAGE} {wanted}: the download does not match its sha512")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        member = tar.getmember(f"package/{CARTESIAN}")    # KeyError if missing
        if not member.isfile() or member.size > MAX_BYTES:
            raise ValueError(f"{PACKAGE} {wanted}: {CARTESIAN} is not a plain file")
        body = tar.extractfile(member).read()
    if _header_version(body[:200], cartesian=True) != wanted:
        raise ValueError(f"{PACKAGE} {wanted}: {CARTESIAN} is not plotly.js {wanted}")
    _write(static, CARTESIAN, lambda out: out.write(body))
    return f"fetched the cartesian plotly.js {wanted} ({len(body) / 2 ** 20:.1f} MB) into {static}"


def _get(url, timeout, limit):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read(limit + 1)
    if len(body) > limit:
        raise ValueError(f"{url} is larger than {limit} bytes")
    return body


def main(static=STATIC):
    """For ``make``: never fails the install; says what happened."""
    try:
        print(f"plotly.js: {fetch(static)}")
    except (OSError, ValueError, KeyError, tarfile.TarError) as err:
        print(f"note: the smaller plotly.js could not be fetched ({err}); the dashboard "
              "serves the full one (same charts, a slower first screen)", file=sys.stderr)


if __name__ == "__main__":
    main()

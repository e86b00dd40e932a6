"""dashboard.plotly_bundle: which plotly.js the page loads, and fetching the cartesian
bundle safely (a fake registry: no network)."""
import base64
import hashlib
import io
import json
import tarfile

import pytest

from dashboard import plotly_bundle as pb

REGISTRY = "https://registry.example"


def bundle(version, cartesian=True, body=b"var Plotly = {};\n"):
    kind = "(cartesian - minified) " if cartesian else ""
    return f"/**\n* plotly.js {kind}v{version}\n* Copyright\n*/\n".encode() + body


def tarball(members):
    """A .tgz of {name: bytes}; a value None makes a symlink to /etc/passwd."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def sri(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def plotly_version(tmp_path, monkeypatch):
    """The installed plotly's full bundle says it is plotly.js ``version``."""
    def use(version):
        full = tmp_path / "package_data" / pb.FULL
        full.parent.mkdir(exist_ok=True)
        full.write_bytes(bundle(version, cartesian=False, body=b"full" * 100))
        monkeypatch.setattr(pb, "full_bundle", lambda: full)
        return full
    return use


@pytest.fixture
def registry(monkeypatch):
    """A fake npm registry: url -> bytes; also records the urls asked for."""
    class Pages(dict):
        asked = []
    pages = Pages()
    asked = pages.asked

    def get(url, timeout, limit):
        asked.append(url)
        if url not in pages:
            raise OSError(f"404 {url}")
        body = pages[url]
        if len(body) > limit:
            raise ValueError(f"{url} is larger than {limit} bytes")
        return body
    monkeypatch.setattr(pb, "_get", get)
    return pages


def publish(pages, version, tgz, integrity=None, url=None):
    url = url or f"{REGISTRY}/{pb.PACKAGE}/-/{pb.PACKAGE}-{version}.tgz"
    pages[f"{REGISTRY}/{pb.PACKAGE}/{version}"] = json.dumps(
        {"dist": {"tarball": url, "integrity": integrity or sri(tgz)}}).encode()
    pages[url] = tgz


def test_version_reads_the_licence_header(tmp_path):
    (tmp_path / "c.js").write_bytes(bundle("4.1.1"))
    (tmp_path / "f.js").write_bytes(bundle("4.1.1", cartesian=False))
    (tmp_path / "x.js").write_bytes(b"alert('not plotly')")
    assert pb.version(tmp_path / "c.js", cartesian=True) == "4.1.1"
    assert pb.version(tmp_path / "c.js") is None             # not the full bundle
    assert pb.version(tmp_path / "f.js") == "4.1.1"
    assert pb.version(tmp_path / "f.js", cartesian=True) is None
    assert pb.version(tmp_path / "x.js") is None
    assert pb.version(tmp_path / "missing.js") is None
    assert pb.version(pb.full_bundle()) is not None           # the installed plotly's


def test_chosen_serves_the_cartesian_bundle_only_when_it_matches(tmp_path, plotly_version):
    full = plotly_version("4.1.1")
    static = tmp_path / "static"
    assert pb.chosen(static) == pb.FULL                      # nothing fetched: the full one
    assert (static / pb.FULL).read_bytes() == full.read_bytes()
    (static / pb.CARTESIAN).write_bytes(bundle("4.1.0"))     # an older plotly's
    assert pb.chosen(static) == pb.FULL
    (static / pb.CARTESIAN).write_bytes(bundle("4.1.1", cartesian=False))
    assert pb.chosen(static) == pb.FULL                      # a full bundle under the name
    (static / pb.CARTESIAN).write_bytes(bundle("4.1.1"))
    assert pb.chosen(static) == pb.CARTESIAN


def test_chosen_is_none_when_nothing_can_be_served(tmp_path, plotly_version):
    plotly_version("4.1.1")
    blocker = tmp_path / "static"
    blocker.write_text("a file where the folder should be")
    assert pb.chosen(blocker) is None


def test_fetch_puts_the_matching_bundle_in_place(tmp_path, plotly_version, registry):
    plotly_version("9.9.9")                                  # not pinned in KNOWN
    body = bundle("9.9.9", body=b"cartesian" * 1000)
    publish(registry, "9.9.9", tarball({"package/README.md": b"hi",
                                        f"package/{pb.CARTESIAN}": body}))
    static = tmp_path / "static"
    said = pb.fetch(static, registry=REGISTRY)
    assert "9.9.9" in said and (static / pb.CARTESIAN).read_bytes() == body
    assert pb.chosen(static) == pb.CARTESIAN
    assert not list(static.glob("*.partial"))
    asked = len(registry.asked)
    assert "already" in pb.fetch(static, registry=REGISTRY)  # once is enough
    assert len(registry.asked) == asked


@pytest.mark.parametrize("case", ["sha512", "pinned", "elsewhere", "missing", "symlink",
                                  "not plotly", "other version", "too large", "not gzip"])
def test_fetch_refuses_what_is_not_the_bundle(tmp_path, plotly_version, registry,
                                              monkeypatch, case):
    version = "4.1.1" if case == "pinned" else "9.9.9"
    plotly_version(version)
    good = bundle(version)
    members = {f"package/{pb.CARTESIAN}": good}
    kwargs = {}
    if case == "sha512":
        kwargs["integrity"] = sri(b"something else")
    if case == "elsewhere":
        kwargs["url"] = "https://evil.example/x.tgz"
    if case == "missing":
        members = {"package/README.md": b"no bundle"}
    if case == "symlink":
        members = {f"package/{pb.CARTESIAN}": None}
    if case == "not plotly":
        members = {f"package/{pb.CARTESIAN}": b"alert('pwned')"}
    if case == "other version":
        members = {f"package/{pb.CARTESIAN}": bundle("1.0.0")}
    if case == "too large":
        monkeypatch.setattr(pb, "MAX_BYTES", 100)
    tgz = b"\x1f\x8b not a gzip at all" if case == "not gzip" else tarball(members)
    publish(registry, version, tgz, **kwargs)                # "pinned": the registry's
    static = tmp_path / "static"                             # record matches, KNOWN not
    with pytest.raises((ValueError, KeyError, tarfile.TarError)):
        pb.fetch(static, registry=REGISTRY)
    assert not (static / pb.CARTESIAN).exists()
    assert not list(static.glob("*.partial")) if static.exists() else True
    assert pb.chosen(static) == pb.FULL


def test_main_never_fails_the_install(tmp_path, plotly_version, registry, capsys):
    plotly_version("9.9.9")                                  # the registry is unreachable
    pb.main(tmp_path / "static")
    assert "could not be fetched" in capsys.readouterr().err
    assert not (tmp_path / "static" / pb.CARTESIAN).exists()

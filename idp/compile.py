"""`idp compile`: every object the platform defines, written as YAML with a kustomization.

The output folder is replaced as a whole: the new files are written to a sibling folder first
and swapped in, so a failure leaves the previous output untouched and no stale file survives.
The same settings and catalog give byte-identical files on every run.

Nothing this tool did not write is ever removed. Its marker (`MARKER`) lists every file it
wrote with the file's sha256; the previous output is replaced only when it holds exactly such
files, each as written. A folder without the marker, a file or folder the marker does not list
(one a person put there), or a listed file changed since, is refused, naming it, and nothing is
changed. The check is made again on the previous output once it is moved aside, just before it
is removed. (A marker of an idp that did not list its files vouches only for the names this
compile writes.) The sibling folders it uses are fresh ones of its own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from events import objects as events
from idp.admin import admin_rbac
from idp.approvers import approver_rbac
from idp.backstage import FOLDER, compiled_files
from idp.catalog import DEFAULT_CATALOG, Catalog
from idp.manifests import Manifest, file_name, kustomization, to_yaml
from idp.settings import Settings
from workflows import objects as workflows

MARKER = ".idp-compiled"
MAX_MARKER = 1 << 20
_HEADER = "written by idp compile; replaced on every run; the files it wrote, by sha256:"


class CompileError(RuntimeError):
    """The output cannot be written where asked."""


def build(settings: Settings, catalog: Catalog = DEFAULT_CATALOG) -> list[Manifest]:
    """Every manifest of the platform, in a stable order."""
    templates = workflows.templates(settings, catalog)
    try:
        event_objects = events.manifests(settings, catalog, templates)
    except ValueError as exc:  # a request model the Sensor's filters cannot express
        raise CompileError(str(exc)) from exc
    manifests = [
        *workflows.manifests(settings, templates, catalog),
        *event_objects,
        *admin_rbac(settings),
        *approver_rbac(settings),
    ]
    names = [file_name(m) for m in manifests]
    duplicated = sorted(n for n, count in Counter(names).items() if count > 1)
    if duplicated:
        raise CompileError(f"two objects would be written to the same file: {duplicated}")
    return manifests


def render_files(manifests: list[Manifest]) -> dict[str, str]:
    """File name to YAML text, including `kustomization.yaml`."""
    files = {file_name(m): to_yaml(m) for m in manifests}
    files["kustomization.yaml"] = to_yaml(kustomization(files))
    return files


def write(files: dict[str, str], out: Path, folders: tuple[str, ...] = ()) -> None:
    """Replace `out` with exactly `files`; refuse to clear a folder this tool did not write.
    `folders` are the subfolders some files go into."""
    out = out.resolve()
    try:
        _check_out(out, files, out)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new.", dir=out.parent))
    except OSError as exc:
        raise CompileError(
            f"--out {out}: cannot write in {out.parent} ({exc.strerror or exc}); "
            "choose a folder you can write to"
        ) from None
    try:
        _swap_in(files, staging, out, folders)
    except OSError as exc:
        raise CompileError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _marker(digests: dict[str, str]) -> str:
    """The marker's text: a header, then `<sha256>  <name>` for each file written."""
    return _HEADER + "\n" + "".join(f"{digests[n]}  {n}\n" for n in sorted(digests))


def _recorded(marker: Path) -> dict[str, str] | None:
    """The files a marker lists, with their sha256; None for a marker that lists none (one
    written before markers listed their files)."""
    with marker.open("rb") as stream:
        lines = stream.read(MAX_MARKER).decode("utf-8", "replace").splitlines()
    if not lines or lines[0] != _HEADER:
        return None
    listed = (line.partition("  ") for line in lines[1:])
    return {name: sha for sha, _, name in listed if name}


def _check_out(folder: Path, files: dict[str, str], out: Path) -> None:
    """Refuse unless `folder` (the output `out`, or it moved aside) is absent, empty, or holds
    only what the previous compile wrote, unchanged (see the module docstring)."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise CompileError(f"--out {out}: exists and is not a folder")
    entries = sorted(folder.iterdir())
    if not entries:
        return
    marker = folder / MARKER
    if not marker.is_file():
        raise CompileError(
            f"--out {out}: folder is not empty and was not written by idp compile; "
            "choose an empty or new folder"
        )
    recorded = _recorded(marker)
    for entry in entries:
        if entry.name == MARKER:
            continue
        known = recorded if recorded is not None else dict.fromkeys(files, "")
        if entry.name not in known or entry.is_symlink() or not entry.is_file():
            raise CompileError(
                f"--out {out}: {entry.name} was not written by idp compile (its marker "
                f"{MARKER} does not list it); move it out of the folder and compile again; "
                "nothing was changed"
            )
        if known[entry.name] and _sha256(entry) != known[entry.name]:
            raise CompileError(
                f"--out {out}: {entry.name} was changed since idp compile wrote it; move it "
                "out of the folder and compile again; nothing was changed"
            )


def _swap_in(files: dict[str, str], staging: Path, out: Path, folders: tuple[str, ...]) -> None:
    """Fill `staging`, then put it in place of `out` with two renames."""
    for folder in folders:
        (staging / folder).mkdir()
    digests = {}
    for name, text in files.items():
        data = text.encode("utf-8")
        (staging / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    (staging / MARKER).write_text(_marker(digests), encoding="utf-8")
    os.chmod(staging, 0o755)  # noqa: S103 - mkdtemp is 0700; output is for everyone to read
    if not out.exists():
        staging.rename(out)
        return
    # A fresh empty folder of our own: the rename replaces it, and what is removed afterwards
    # is exactly the previous output (checked to carry the marker), never anyone's folder.
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    out.rename(retired)
    try:
        _check_out(retired, files, out)  # again: someone may have written to it meanwhile
        staging.rename(out)
    except (OSError, CompileError):
        retired.rename(out)
        raise
    shutil.rmtree(retired)


def compile_to(out: Path, settings: Settings, catalog: Catalog = DEFAULT_CATALOG) -> list[str]:
    """Build, render and write; returns the file names written. With `backstage_templates`
    on, the Backstage files (idp.backstage) go into a subfolder kustomization.yaml leaves out."""
    files = render_files(build(settings, catalog))
    folders: tuple[str, ...] = ()
    if settings.backstage_templates:
        try:
            files.update(compiled_files(settings, catalog))
        except ValueError as exc:  # a request model the form cannot offer
            raise CompileError(str(exc)) from exc
        folders = (FOLDER,)
    write(files, out, folders)
    return sorted(files)

"""`idp compile`: every object the platform defines, written as YAML with a kustomization.

The output folder is replaced as a whole: the new files are written to a sibling folder first
and swapped in, so a failure leaves the previous output untouched and no stale file survives.
The same settings and catalog give byte-identical files on every run. Nothing this tool did not
write is ever removed: a folder without its marker is refused, and the sibling folders it uses
are fresh ones of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from idp.catalog import DEFAULT_CATALOG, Catalog
from idp.manifests import Manifest, file_name, kustomization, to_yaml
from idp.settings import Settings

MARKER = ".idp-compiled"


class CompileError(RuntimeError):
    """The output cannot be written where asked."""


def build(settings: Settings, catalog: Catalog = DEFAULT_CATALOG) -> list[Manifest]:
    """Every manifest of the platform, in a stable order."""
    import events
    import workflows
    from idp.admin import admin_rbac
    from idp.approvers import approver_rbac

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
    duplicated = sorted({n for n in names if names.count(n) > 1})
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
        _check_out(out)
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


def _check_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise CompileError(f"--out {out}: exists and is not a folder")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise CompileError(
                f"--out {out}: folder is not empty and was not written by idp compile; "
                "choose an empty or new folder"
            )


def _swap_in(files: dict[str, str], staging: Path, out: Path, folders: tuple[str, ...]) -> None:
    """Fill `staging`, then put it in place of `out` with two renames."""
    for folder in folders:
        (staging / folder).mkdir()
    for name, text in files.items():
        (staging / name).write_text(text, encoding="utf-8")
    (staging / MARKER).write_text("written by idp compile; replaced on every run\n")
    os.chmod(staging, 0o755)  # noqa: S103 - mkdtemp is 0700; output is for everyone to read
    if not out.exists():
        staging.rename(out)
        return
    # A fresh empty folder of our own: the rename replaces it, and what is removed afterwards
    # is exactly the previous output (checked to carry the marker), never anyone's folder.
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    out.rename(retired)
    try:
        staging.rename(out)
    except OSError:
        retired.rename(out)
        raise
    shutil.rmtree(retired)


def compile_to(out: Path, settings: Settings, catalog: Catalog = DEFAULT_CATALOG) -> list[str]:
    """Build, render and write; returns the file names written. With `backstage_templates`
    on, the Backstage files (idp.backstage) go into a subfolder kustomization.yaml leaves out."""
    files = render_files(build(settings, catalog))
    folders: tuple[str, ...] = ()
    if settings.backstage_templates:
        from idp.backstage import FOLDER, compiled_files

        try:
            files.update(compiled_files(settings, catalog))
        except ValueError as exc:  # a request model the form cannot offer
            raise CompileError(str(exc)) from exc
        folders = (FOLDER,)
    write(files, out, folders)
    return sorted(files)

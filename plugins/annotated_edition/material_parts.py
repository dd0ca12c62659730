"""What the package gives every edition built with Material for MkDocs, so that none copies it by hand.

* ``templates/partials/``: Material's ``search.html`` with an accessible name
  for the search dialog (axe: aria-dialog-name), and ``copyright.html`` with
  the edition's downloads (``edition_downloads``) in the footer.  They go
  into the theme's template folders before Material's own and after a site's
  ``custom_dir``, so that a site's own override of either still wins.
* ``assets/material.css``: underlined links in running text and legible
  footer colours, so that axe reports no violation in either palette.  It is
  listed first in ``extra_css``: a site's own stylesheets come after it.
* ``vendor/iframe-worker/``: with Material's offline plugin, the shim that
  runs search's worker from ``file://``.  The offline plugin lists its CDN
  copy in ``extra.polyfills`` unless an iframe-worker is listed already, so
  the vendored copy is listed first (before the plugins' ``on_config``), and
  written into the site with its licence.

Other themes get nothing of this: the partials and the CSS are Material's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
SHIM_SOURCE = PACKAGE / "vendor" / "iframe-worker"
SITE_DIR = "assets/annotated-edition"
CSS_URI = f"{SITE_DIR}/material.css"
SHIM_DIR = f"{SITE_DIR}/vendor/iframe-worker"
SHIM_URI = f"{SHIM_DIR}/shim.js"


def offline_plugin_enabled(plugins: Mapping[str, Any]) -> bool:
    """Whether Material's offline plugin (``offline`` or ``material/offline``) is on for this build."""
    for name, plugin in plugins.items():
        if name.split("/")[-1] == "offline":
            options = getattr(plugin, "config", None)
            return bool(getattr(options, "enabled", True))
    return False


def insert_templates(dirs: list[str], custom_dir: str | None) -> None:
    """Put the package's templates before the theme's own, after the site's ``custom_dir``."""
    ours = str(TEMPLATES)
    if ours in dirs:  # `mkdocs serve` loads the configuration afresh, but be safe
        return
    dirs.insert(1 if custom_dir and dirs and dirs[0] == custom_dir else 0, ours)


def use_vendored_shim(extra: Any) -> bool:
    """List the vendored iframe-worker first among ``extra.polyfills``, unless the site lists one: whether it did."""
    polyfills = list(extra.get("polyfills") or [])
    if any("iframe-worker" in str(url) for url in polyfills):
        return False  # the site chose its own copy
    extra["polyfills"] = [SHIM_URI, *polyfills]
    return True


@dataclass
class MaterialParts:
    """The parts one build uses; :meth:`add_files` puts the files they need into the site."""

    files: dict[str, Path] = field(default_factory=dict)
    """Site path → the package's file."""

    @classmethod
    def configure(cls, config: MkDocsConfig) -> MaterialParts:
        """Wire the parts into a site's configuration (run before other plugins' ``on_config``)."""
        parts = cls()
        if config.theme.name != "material":
            return parts
        insert_templates(config.theme.dirs, config.theme.custom_dir)
        if CSS_URI not in config.extra_css:
            config.extra_css.insert(0, CSS_URI)  # type: ignore[arg-type]
        parts.files[CSS_URI] = PACKAGE / "assets" / "material.css"
        if offline_plugin_enabled(config.plugins) and use_vendored_shim(config.extra):
            for name in ("shim.js", "LICENSE"):
                parts.files[f"{SHIM_DIR}/{name}"] = SHIM_SOURCE / name
        return parts

    def add_files(self, files: Files, config: MkDocsConfig) -> None:
        """The stylesheet, and the shim with its licence where used, as files of the site."""
        for uri, source in self.files.items():
            files.append(File.generated(config, uri, abs_src_path=str(source)))

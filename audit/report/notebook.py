"""The notebook written next to every report: it re-runs the audit and checks the fingerprint.

The notebook holds everything it needs: the absolute paths of the model and data files, the
audit spec, the seed, the run parameters and the policy as it was applied (the full policy, not
a name or a path that depends on the working directory), so it reproduces the audit unmodified
from anywhere. For a regression, multiclass or scores model it then shows the report's section of
that kind (tables and charts) from the re-run audit, drawn by the report's own chart functions
(:func:`fairgate.audit.report.kind_figures.kind_section`), in the report's language.
"""

from __future__ import annotations

import json
from pathlib import Path

from fairgate.audit.report.catalog import Text
from fairgate.audit.report.result import AuditResult

__all__ = ["write_notebook"]

_KIND_CELL = """\
import base64
import html

from IPython.display import HTML, Markdown, display

from fairgate.audit.report.catalog import Text
from fairgate.audit.report.kind_figures import kind_section

section = kind_section(result, Text(LANG))
display(Markdown('### ' + section['heading']))
for paragraph in section['intro']:
    display(Markdown(paragraph))
for block in section['blocks']:
    for table in block['tables']:
        display(Markdown('**' + table['caption'] + '**'))
        display(pd.DataFrame([row['cells'] for row in table['rows']],
                             index=[row['label'] for row in table['rows']],
                             columns=table['headers']))
    for figure in block['figures']:
        display(HTML(f'<figure><img src="{figure["uri"]}" alt="{html.escape(figure["alt"])}">'
                     f'<figcaption>{html.escape(figure["caption"])}</figcaption></figure>'))"""


def write_notebook(
    result: AuditResult,
    path: str | Path,
    *,
    model: Path,
    data: Path,
    json_path: Path,
    lang: str = "en",
) -> Path:
    """Write a notebook that re-runs the audit from the files on disk and compares the numbers.

    Parameters
    ----------
    result : AuditResult
        The audit to reproduce; its ``policy`` (the policy as applied) goes into the notebook.
    path : str or Path
        Where the ``.ipynb`` goes.
    model, data : Path
        Where the model and data files will be (made absolute).
    json_path : Path
        Where the saved ``audit.json`` will be (made absolute).
    lang : {"en", "zh"}, default "en"
        Language of the kind section's words (the report's language).

    Returns
    -------
    Path
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    spec = dict(result.filing)
    policy = json.dumps(result.policy, sort_keys=True, indent=1, ensure_ascii=False)
    paths = {
        "MODEL": str(Path(model).resolve()),
        "DATA": str(Path(data).resolve()),
        "SAVED": str(Path(json_path).resolve()),
    }
    cells = [
        new_markdown_cell(
            f"# Reproduce the audit of `{spec.get('name')}` version {spec.get('version')}\n\n"
            "This notebook re-runs the audit with fairgate's public API from the files on disk "
            "and checks that every number equals the saved `audit.json`. It holds the policy "
            f"as it was applied (`{result.policy.get('name')}`), so it runs unmodified from any "
            "working directory."
        ),
        new_code_cell(
            "import json\n\n"
            "from fairgate.audit.pipeline.run import run_audit\n"
            "from fairgate.audit.report.result import AuditResult\n\n"
            + "".join(f"{k} = {v!r}\n" for k, v in paths.items())
            + f"SPEC = {spec!r}\nSEED = {result.seed!r}\nPARAMETERS = {result.parameters!r}\n"
            + f"POLICY = json.loads({policy!r})\nLANG = {lang!r}"
        ),
        new_code_cell(
            "result = run_audit(MODEL, DATA, SPEC, POLICY, seed=SEED, **PARAMETERS)\n"
            "saved = AuditResult.load(SAVED)\n"
            "print('verdict:', result.outcome)\n"
            "print('fingerprint:', result.fingerprint())"
        ),
        new_code_cell(
            "import pandas as pd\n\n"
            "rows = [{'attributes': k, 'group': ' & '.join(map(str, g['group'].values())),\n"
            "         **g['metrics']} for k, r in result.reports.items() for g in r['groups']]\n"
            "pd.DataFrame(rows)"
        ),
        new_code_cell(
            "assert result.reproducible_json() == saved.reproducible_json(), "
            "'the numbers differ from the report'\n"
            "assert result.fingerprint() == saved.fingerprint()\n"
            "print('reproduced exactly:', saved.fingerprint())"
        ),
    ]
    if (result.kinds or {}).get("kind"):  # the report's section of the model's kind
        heading = new_markdown_cell("## " + Text(lang)("notebook_kind_heading"))
        cells += [heading, new_code_cell(_KIND_CELL)]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    path = Path(path)
    nbformat.write(nb, str(path))
    return path

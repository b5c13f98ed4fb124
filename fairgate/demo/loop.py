"""``fairgate demo``: the whole loop 备案 → 评估 → 退出 on the embedded default, in one command.

A vendor files two versions of a model trained on the Toronto arrests data (version A takes
colour and sex among its inputs, version B does not); each is audited through the registry's one
audit use case; the committee rejects the failing one and approves the other. Then fairgate's
service starts in this process, the serving side asks it before every batch and reports every
decision through :class:`~fairgate.registry.client.StatusClient`; when an upstream records fault
makes the approved model's decisions differ by colour, the circuit breaker trips, the model is
suspended, serving stops, and the evidence is read back from the hash-chained ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console

    from fairgate.demo.data import DemoData
    from fairgate.demo.live import LiveStream
    from fairgate.demo.show import DemoPrinter
    from fairgate.registry.store import Registry

__all__ = ["DEMO_MODEL", "DemoOutcome", "DemoRun", "run_demo"]

DEMO_MODEL = "toronto-arrests-release"


@dataclass(frozen=True)
class DemoOutcome:
    """What one filed version of the demo went through up to the committee's decision."""

    version: str
    features: tuple[str, ...]
    verdict: str
    state: str
    report: Path
    notebook: Path


@dataclass(frozen=True)
class DemoRun:
    """The whole demo: each version's outcome, the live stream, and the final state.

    Attributes
    ----------
    versions : tuple of DemoOutcome
    served : str or None
        The version that was approved and served.
    live : LiveStream or None
    final_state : str or None
        The served version's state at the end (``"SUSPENDED"`` after the trip).
    """

    versions: tuple[DemoOutcome, ...]
    served: str | None
    live: LiveStream | None
    final_state: str | None


def run_demo(
    *,
    seed: int = 0,
    lang: Literal["en", "zh"] = "en",
    policy: str | None = None,
    console: Console | None = None,
) -> DemoRun:
    """File, audit and decide on the two demo versions, serve the approved one until it trips.

    Parameters
    ----------
    seed : int, default 0
        Seed of the data split, the models, the audits and the live stream.
    lang : {"en", "zh"}, default "en"
        Language of the HTML reports.
    policy : str, optional
        A built-in policy name or a policy file, written into the filings (default: the example
        filing's policy); it judges the audits and its breaker rules watch the live decisions.
    console : rich.console.Console, optional
        Where to print (default: standard output).

    Returns
    -------
    DemoRun
    """
    from rich.console import Console
    from threadpoolctl import threadpool_limits

    from fairgate.audit.report.catalog import Text
    from fairgate.demo.data import FEATURES, UNAWARE_FEATURES, load_arrests_frame
    from fairgate.demo.show import DemoPrinter
    from fairgate.registry.store import Registry
    from fairgate.settings import get_settings

    console = console or Console()
    settings = get_settings()
    settings.ensure_home()
    registry = Registry(settings)
    t = Text(lang)
    with console.status(t("demo_loading", source="scikit-lego")):
        data = load_arrests_frame(seed)
    show = DemoPrinter(console, t)
    console.print(
        f"[bold]{t('demo_title')}[/bold] — {t('demo_intro', home=settings.home)}\n"
        + t("demo_data", train=t.num(len(data.train)), audit=t.num(len(data.audit)))
    )
    plans = [
        ("A", tuple(FEATURES), t("demo_plan_a")),
        ("B", tuple(UNAWARE_FEATURES), t("demo_plan_b")),
    ]
    # Small data: one thread per native library avoids oversubscribing a busy machine.
    with threadpool_limits(1):
        filed = _file_versions(show, registry, settings.home, data, plans, seed, policy)
        outcomes = [
            _audit_and_decide(show, registry, settings.reports_dir, v, f, w, seed)
            for v, f, w, _ in filed
        ]
        approved = [(o, m) for o, (_, _, _, m) in zip(outcomes, filed, strict=True)]
        approved = [(o, m) for o, m in approved if o.state == "ACTIVE"]
        if not approved:
            console.print(t("demo_none_approved"))
            return DemoRun(tuple(outcomes), None, None, None)
        outcome, model = approved[-1]
        live = _serve(show, settings, data, outcome, model, seed)
    final = registry.get(DEMO_MODEL, outcome.version)
    _print_end(show, registry, outcome, final.state)
    return DemoRun(tuple(outcomes), outcome.version, live, final.state)


def _next_version(registry: Registry, name: str) -> str:
    taken = {mv.version for mv in registry.list_versions(name=name)}
    number = 1
    while str(number) in taken:
        number += 1
    return str(number)


def _filing(version: str, features: tuple[str, ...], policy: str | None) -> dict[str, Any]:
    """The packaged example filing, for ``version`` with ``features`` as inputs."""
    from fairgate.registry.store.filing import example_filing_path, parse_filing

    base = parse_filing(example_filing_path()).model_dump(mode="json")
    keep = set(features)
    filing = dict(base)
    filing["version"] = version
    filing["features"] = [f for f in base["features"] if f["name"] in keep]
    filing["prohibited_variables"] = [
        v for v in base.get("prohibited_variables", []) if v not in keep
    ]
    filing.pop("filed_on", None)
    if policy is not None:
        filing["policy"] = policy
    return filing


def _file_versions(
    show: DemoPrinter,
    registry: Registry,
    home: Path,
    data: DemoData,
    plans: list[tuple[str, tuple[str, ...], str]],
    seed: int,
    policy: str | None,
) -> list[tuple[str, tuple[str, ...], Path, Any]]:
    """备案: train and file each version; ``(version, features, work folder, model)`` each."""
    import skops.io as sio

    from fairgate.demo.data import arrests_model
    from fairgate.registry.usecases import FileRequest, file_model

    console, t = show.console, show.t
    show.stage("demo_step_file", t("demo_stage_file"))
    filed = []
    for label, features, what in plans:
        version = _next_version(registry, DEMO_MODEL)
        work = home / "demo" / f"{DEMO_MODEL}-{version}"
        work.mkdir(parents=True, exist_ok=True)
        with console.status(t("demo_training", label=label)):
            model = arrests_model(data.train, seed, features=list(features))
            sio.dump(model, work / "model.skops")
            data.audit.to_parquet(work / "audit.parquet", index=False)
        console.print(t("demo_model_plan", label=label, what=what))
        filing = _filing(version, features, policy)
        request = FileRequest(filing, work / "model.skops", actor=t("demo_actor_vendor"))
        show.filed(file_model(registry, request), features)
        filed.append((version, features, work, model))
    return filed


def _audit_and_decide(
    show: DemoPrinter,
    registry: Registry,
    reports: Path,
    version: str,
    features: tuple[str, ...],
    work: Path,
    seed: int,
) -> DemoOutcome:
    """评估 and 审批: audit one version (the one use case), then the committee decides."""
    from fairgate.demo.audit import audit_version
    from fairgate.demo.show import reason_phrases
    from fairgate.registry.usecases import DecisionRequest, decide

    console, t = show.console, show.t
    show.stage("demo_step_audit", f"{DEMO_MODEL}@{version}")
    out_dir = reports / DEMO_MODEL / version
    with console.status(t("demo_auditing", model=f"{DEMO_MODEL}@{version}")):
        done = audit_version(
            registry,
            DEMO_MODEL,
            version,
            work / "audit.parquet",
            out_dir=out_dir,
            lang=t.lang,  # type: ignore[arg-type]
            seed=seed,
            actor=t("demo_actor_auditor"),
        )
    show.reports(done.result)
    show.verdict(done.result, done.policy_ref)
    console.print(t("demo_report", report=done.report, audit=done.record.id))
    outcome = done.result.outcome
    action = "reject" if outcome == "fail" else "approve"
    why = t(f"demo_why_{outcome}", rules=reason_phrases(done.result, t))
    committee = t("demo_actor_committee")
    record = decide(
        registry, DecisionRequest(DEMO_MODEL, version, action, rationale=why, actor=committee)
    )
    show.decision(record.state, why)
    return DemoOutcome(
        version, features, done.result.outcome, record.state, done.report, out_dir / "audit.ipynb"
    )


def _serve(
    show: DemoPrinter,
    settings: Any,
    data: DemoData,
    outcome: DemoOutcome,
    model: Any,
    seed: int,
) -> LiveStream:
    """上线: serve the approved version through the in-process service until fairgate says no."""
    import numpy as np

    from fairgate.demo.data import SENSITIVE
    from fairgate.demo.live import local_service, records_fault, serve_decisions

    console, t = show.console, show.t
    live_model = f"{DEMO_MODEL}@{outcome.version}"
    show.stage("demo_step_serve", t("demo_stage_serve", model=live_model))
    rng = np.random.default_rng(seed)
    fair = data.audit.iloc[rng.integers(0, len(data.audit), 2_000)]
    faulty = records_fault(data.audit.iloc[rng.integers(0, len(data.audit), 6_000)])

    def on_batch(phase: str, served: int, may_serve: bool) -> None:
        if phase == "faulty" and served == 250:
            console.print(t("demo_fault"))
        answer = (
            t("demo_may_serve") if may_serve else f"[bold red]{t('demo_do_not_serve')}[/bold red]"
        )
        shown = t(f"demo_phase_{phase}").rjust(6)
        console.print("  " + t("demo_batch", phase=shown, served=f"{served:>5,}", answer=answer))

    with local_service(settings) as service:
        console.print(t("demo_service", url=service.url, client="StatusClient"))
        live = serve_decisions(
            service,
            DEMO_MODEL,
            outcome.version,
            model,
            list(outcome.features),
            fair,
            faulty,
            sensitive=list(SENSITIVE),
            on_batch=on_batch,
        )
    if live.refused:
        pushed = show.state(live.pushed_state) if live.pushed_state else t("not_available")
        detail = t("demo_tripped_detail", served=t.num(live.served_faulty), state=pushed)
        console.print(f"[bold red]{t('demo_tripped')}[/bold red]: {detail}")
    return live


def _print_end(show: DemoPrinter, registry: Registry, outcome: DemoOutcome, state: str) -> None:
    """退出: the final state, the breaker's evidence from the ledger, the ledger, the reports."""
    model = f"{DEMO_MODEL}@{outcome.version}"
    show.stage("demo_step_exit", model)
    show.console.print(show.t("demo_final_state", model=model, state=show.state(state)))
    trips = [
        e
        for e in registry.events()
        if e.kind == "breaker_trip" and e.name == DEMO_MODEL and e.version == outcome.version
    ]
    if trips:
        show.evidence(trips[-1])
    show.ledger(registry, DEMO_MODEL)
    show.console.print(show.t("demo_end"))

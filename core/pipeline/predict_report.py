"""The tables of ``archgen predict``: τ and ρ per N beside the published τ, for the terminal and ``predict.md``."""

from __future__ import annotations

from typing import Any

from archgen.pipeline.report import cell, markdown_table, replicates_text, text_table


def _rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    names = sorted({name for p in result["points"] for name in p["reference"]})
    protocols = [protocol["name"] for protocol in result.get("also_rank", [])]
    header = [
        "N", "test", f"{result['predictor']['name']} τ", "Spearman ρ", "fit s",
        *(f"{protocol} τ" for protocol in protocols), *(f"{name} τ" for name in names),
    ]
    rows = []
    for p in result["points"]:
        test_sizes = {t["test_size"] for t in p["trials"]}
        rows.append([
            str(p["n"]),
            f"{min(test_sizes):,}",
            cell(p["kendall_tau"], result["trials"], digits=3),
            cell(p["spearman"], result["trials"], digits=3),
            f"{p['fit_seconds']['mean']:.0f}",
            *(cell(p["also"][protocol]["kendall_tau"], result["trials"], digits=3) for protocol in protocols),
            *(f"{p['reference'][name]:.3f}" if name in p["reference"] else "" for name in names),
        ])
    return header, rows


def predict_table(result: dict[str, Any]) -> str:
    """The terminal table: τ and ρ (mean ± std over trials) per N, beside the published τ."""
    table = text_table(*_rows(result))
    note = f"\n({result['reference_note']})" if result["reference_note"] else ""
    return f"{table}\n{predict_legend(result)}{note}"


def predict_legend(result: dict[str, Any]) -> str:
    """The legend under the predict table: what is ranked, on what, over how many trials."""
    seeds = [t["seed"] for t in result["points"][0]["trials"]] if result["points"] else result["trials"]
    test = "every architecture of the pool" if result["test_on"] == "all" else "the rest of the pool"
    also = "".join(f"; {_also_ranked(protocol, result['metric'])}" for protocol in result.get("also_rank", []))
    return (f"legend: rank correlation of predicted and true {result['test_metric']} on {test} "
            f"({result['pool_size']:,} labelled); trained on N labelled by {result['metric']}; "
            f"{replicates_text(seeds, 'trial')}; fit s: mean seconds per fit{also}")


def predict_markdown(result: dict[str, Any]) -> str:
    predictor = result["predictor"]
    lines = [
        f"# {predictor['name']} on {result['space']}: Kendall τ against training size",
        "",
        f"Trained on N architectures labelled by `{result['metric']}`, ranked on "
        f"{'all' if result['test_on'] == 'all' else 'the remaining'} of {result['pool_size']:,} "
        f"by `{result['test_metric']}`; mean ± std over {result['trials']} trial(s).",
        "",
        markdown_table(*_rows(result)),
    ]
    if result.get("also_rank"):
        lines += ["", *(f"{_also_ranked(protocol, result['metric'])}." for protocol in result["also_rank"])]
    if result["reference_note"]:
        lines += ["", f"Reference: {result['reference_note']}."]
    return "\n".join(lines) + "\n"


def _also_ranked(protocol: dict[str, Any], metric: str) -> str:
    test = "every architecture of the pool" if protocol["test_on"] == "all" else "the rest of the pool"
    return f"{protocol['name']} τ: the same fits ranked against {protocol['test_metric'] or metric} on {test}"


__all__ = ["predict_legend", "predict_markdown", "predict_table"]

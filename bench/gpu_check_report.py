"""The GPU check's Markdown table and its one-line summary, from the results dict (rewritten after each section)."""

from __future__ import annotations


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("|", "/").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def _status(section: dict) -> str | None:
    for key in ("error", "skipped"):
        if key in section:
            return f"**{key}**: {section[key]}"
    return None


def _device(s: dict) -> list[str]:
    keys = ("backend", "device", "compute_capability", "memory_limit_gib", "device_count", "auto_policy", "keras",
            "jax", "jaxlib", "tensorflow", "numpy", "python", "layers", "recipe", "data_bundle")
    return _table(["fact", "value"], [[k, s[k]] for k in keys if k in s] + [["nvidia-smi", s.get("nvidia_smi")]])


def _train_step(s: dict) -> list[str]:
    base = s["variants"].get("float32", {}).get("ms_per_step")
    rows = [[p, "on", v.get("compile_s"), v.get("ms_per_step"), v.get("img_per_s"),
             round(base / v["ms_per_step"], 2) if base and v.get("ms_per_step") else "", v.get("steps_timed"),
             v.get("optimizer"), v.get("skipped", "")] for p, v in s["variants"].items()]
    return [f"batch {s['batch']}, {s['image_size']} px, top 4 blocks trainable (BN frozen). {s['method']}.", ""] + \
        _table(["policy", "XLA", "compile s", "ms/step", "img/s", "speed vs float32", "steps timed", "optimizer",
                "note"], rows)


def _xla_off(s: dict) -> list[str]:
    rows = [[p, "off", v.get("first_call_s"), v.get("ms_per_step"), v.get("img_per_s"),
             s["ratios_xla_on_over_off"].get(p), v.get("note", v.get("skipped", ""))] for p, v in s["variants"].items()]
    return [f"batch {s['batch']}. {s['method']}.", ""] + \
        _table(["policy", "XLA", "first call s", "ms/step", "img/s", "XLA on speed-up", "note"], rows)


def _embedding(s: dict) -> list[str]:
    base = s["variants"].get("float32", {}).get("ms_per_batch")
    rows = [[p, v.get("first_call_s"), v.get("ms_per_batch"), v.get("img_per_s"),
             round(base / v["ms_per_batch"], 2) if base and v.get("ms_per_batch") else "",
             v.get("cosine_vs_float32_min", ""), v.get("skipped", "")] for p, v in s["variants"].items()]
    return [f"batch {s['batch']}, {s['image_size']} px. {s['method']}.", ""] + \
        _table(["policy", "first call s", "ms/batch", "img/s", "speed vs float32", "min cosine vs float32", "note"],
               rows)


def _max_batch(s: dict) -> list[str]:
    rows = [[r["batch"], r.get("fits"), r.get("first_call_s"), r.get("ms_per_step"), r.get("img_per_s"),
             r.get("peak_gib"), r.get("error", "")[:120]] for r in s["tried"]]
    head = [f"policy {s['policy']}; largest that fit: **{s['largest_fit']}**; stopped by: {s['stopped_by']}; "
            f"memory limit {s.get('memory_limit_gib')} GiB. {s['peak_memory_note']}.", ""]
    return head + _table(["batch", "fits", "first call s", "ms/step", "img/s", "peak GiB", "error"], rows)


def _se_attention(s: dict) -> list[str]:
    keys = ("policy", "layers", "optimizer", "batch", "steps", "applied_steps", "skipped_steps", "all_losses_finite",
            "weights_finite", "loss_scale_first", "loss_scale_last", "loss_scale_min", "attention_map_finite",
            "attention_map_sum_max_error", "attention_gamma", "seconds", "note", "stopped_by")
    rows = [[k, s[k]] for k in keys if k in s]
    rows.append(["losses (first, last)", f"{s['losses'][:1]} ... {s['losses'][-1:]}" if s.get("losses") else ""])
    return _table(["what", "value"], rows)


def _genre(s: dict) -> list[str]:
    keys = ("policy", "train_images", "val_images", "image_size", "batch", "epochs", "xla_possible_with_keras_flags",
            "xla_possible_as_run", "jit_compile_frozen",
            "jit_compile_fine_tune", "phase_seconds", "train_seconds", "steady_epoch_s_median",
            "steady_train_img_per_s_incl_val", "val_accuracy_final", "val_loss_final", "best_epoch",
            "val_accuracy_at_best_val_loss", "recipe_source", "stopped_by")
    return _table(["what", "value"], [[k, s[k]] for k in keys if k in s])


def _parity(s: dict) -> list[str]:
    rows = [[p, s[p]["artzoo"], s[p]["bench"], s[p]["same"]] for p in ("frozen", "fine_tune") if p in s]
    return [f"artzoo's `auto` policy here: {s.get('artzoo_auto_policy')}", ""] + \
        _table(["phase", "artzoo params", "bench params", "same"], rows)


RENDERERS = {"device": ("a. Device", _device), "train_step": ("b. Train step, XLA on", _train_step),
             "embedding": ("c. Embedding throughput", _embedding), "se_attention_fp16": (
                 "e. SE + self-attention, mixed-float16 steps", _se_attention),
             "genre_run": ("f. Genre recipe on Louvre-4", _genre), "max_batch": ("d. Largest training batch",
                                                                                  _max_batch),
             "xla_off": ("b. Train step, XLA off", _xla_off), "artzoo_parity": ("artzoo's builder vs the bench's",
                                                                                 _parity)}


def render(results: dict) -> str:
    meta = results["meta"]
    lines = [f"# GPU check ({meta['backend']}, {meta.get('device', '')})", "",
             f"`{meta['command']}` — started {meta['started']}, budget {meta['budget_s']} s, "
             f"elapsed {meta.get('elapsed_s')} s.", ""]
    for name, section in results["sections"].items():
        title, renderer = RENDERERS.get(name, (name, None))
        lines += [f"## {title} ({section.get('section_seconds', '?')} s)", ""]
        status = _status(section)
        if status:
            lines += [status, ""]
            if "error" in section or "variants" not in section and "tried" not in section:
                continue
        try:
            lines += renderer(section) if renderer else [f"`{section}`"]
        except (KeyError, TypeError, ZeroDivisionError) as err:  # a partial section still shows its raw data
            lines += [f"(partial: {type(err).__name__} {err}) `{section}`"]
        lines.append("")
    if results.get("summary"):
        lines += ["## Summary", "", f"`{results['summary']}`", ""]
    return "\n".join(lines)


def _get(results: dict, *path):
    node = results["sections"]
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def summary_line(results: dict) -> str:
    meta = results["meta"]
    parts = [f"GPU_CHECK backend={meta['backend']} device={meta.get('device')}"]
    v = _get(results, "train_step", "variants") or {}
    if v:
        speeds = ", ".join(f"{p} {v[p]['img_per_s']}" for p in v if v[p].get("img_per_s"))
        ratios = ", ".join(f"{k} {r}x" for k, r in (_get(results, "train_step", "ratios") or {}).items())
        parts.append(f"train img/s (XLA on, batch {_get(results, 'train_step', 'batch')}): {speeds} [{ratios}]")
    off = _get(results, "xla_off", "ratios_xla_on_over_off")
    if off:
        parts.append("XLA on/off speed-up: " + ", ".join(f"{p} {r}x" for p, r in off.items()))
    emb = _get(results, "embedding", "ratios")
    if emb:
        parts.append("embed " + ", ".join(f"{k} {r}x" for k, r in emb.items()))
    if _get(results, "max_batch", "tried"):
        parts.append(f"max batch {_get(results, 'max_batch', 'policy')} {_get(results, 'max_batch', 'largest_fit')} "
                     f"({_get(results, 'max_batch', 'stopped_by')})")
    se = _get(results, "se_attention_fp16") or {}
    if "steps" in se:
        parts.append(f"SE+attn fp16 {se['steps']} steps finite={se.get('all_losses_finite')} "
                     f"skipped={se.get('skipped_steps')} "
                     f"scale {se.get('loss_scale_first')}->{se.get('loss_scale_last')}")
    genre = _get(results, "genre_run") or {}
    if "val_accuracy_final" in genre:
        parts.append(f"genre {genre['policy']} val_acc {genre['val_accuracy_final']} "
                     f"(at best val_loss {genre.get('val_accuracy_at_best_val_loss')}) "
                     f"in {genre.get('train_seconds')} s")
    failed = [n for n, s in results["sections"].items() if "error" in s]
    skipped = [n for n, s in results["sections"].items() if "skipped" in s]
    parts.append(f"errors={failed or 'none'} skipped={skipped or 'none'} elapsed {meta.get('elapsed_s')} s")
    return " | ".join(parts)

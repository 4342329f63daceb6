"""Every key of the dashboard, in one table: the footer and the help screen are generated from it.

The table is the dashboard screen's (`SessionScreen.BINDINGS`; Ctrl+C is the app's, in every
screen); `key_rows` turns it into the help screen's (keys, description) rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.binding import Binding, BindingType

PANES: dict[str, tuple[str, str]] = {
    "1": ("loss", "loss plots"),
    "2": ("gauges", "accuracy gauges"),
    "3": ("hists", "activation histograms"),
    "4": ("comparison", "comparison strip"),
    "5": ("inputs", "inputs pane"),
}
ACTIVATION_KEYS = Binding.Group("Activation", compact=True)
LR_KEYS = Binding.Group("LR", compact=True)
PACE_KEYS = Binding.Group("Pace", compact=True)
# Actions that drive training: a source that is not live (watch, replay) refuses them.
CONTROL_ACTIONS = frozenset(
    {
        "toggle_pause",
        "step",
        "restart",
        "next_activation",
        "prev_activation",
        "pick_activation",
        "set_activation",
        "toggle_keep",
        "lr_up",
        "lr_down",
        "slower",
        "faster",
    }
)
# What a replay (a log played back, `playback = True` on its source) still lets you control.
PLAYBACK_ACTIONS = frozenset({"toggle_pause", "step", "slower", "faster", "jump_to_end"})
# What the keys do to a replay, for the help screen (nothing is trained there).
PLAYBACK_TOOLTIPS = {
    "toggle_pause": "Pause / resume the replay",
    "step": "Show the next epoch, then pause",
    "slower": "Slower replay",
    "faster": "Faster replay, up to all at once",
    "quit_app": "Quit",
}
WATCH_QUIT = "Quit (the training process, if any, goes on)"

BINDINGS: list[BindingType] = [
    Binding("space", "toggle_pause", "Pause", id="pause", tooltip="Pause / resume both runs"),
    Binding("n", "step", "Step", id="step", tooltip="Train one epoch, then stay paused"),
    Binding("r", "restart", "Restart", id="restart", show=False, tooltip="Restart both runs"),
    Binding(
        "a",
        "next_activation",
        "Next",
        id="next-activation",
        group=ACTIVATION_KEYS,
        tooltip="Next activation: tanh, sigmoid, …",
    ),
    Binding(
        "A",
        "prev_activation",
        "Prev",
        id="prev-activation",
        group=ACTIVATION_KEYS,
        tooltip="Previous activation",
    ),
    Binding(
        "p",
        "pick_activation",
        "Pick",
        id="pick-activation",
        tooltip="Pick any activation",
        show=False,
    ),
    Binding(
        "k",
        "toggle_keep",
        "Keep weights",
        id="keep",
        show=False,
        tooltip="Swap mode: keep weights / restart",
    ),
    Binding(
        "plus,equals_sign",
        "lr_up",
        "LR×2",
        id="lr-up",
        key_display="+",
        group=LR_KEYS,
        tooltip="Learning rate ×2 (a grid: all its rates)",
    ),
    Binding(
        "minus",
        "lr_down",
        "LR÷2",
        id="lr-down",
        key_display="-",
        group=LR_KEYS,
        tooltip="Learning rate ÷2 (a grid: all its rates)",
    ),
    Binding(
        "L",
        "lr_find",
        "LR find",
        id="lr-find",
        show=False,
        tooltip="Learning-rate range test, all seeds",
    ),
    Binding(
        "left_square_bracket",
        "slower",
        "Slower",
        id="slower",
        key_display="[",
        group=PACE_KEYS,
        tooltip="Slower pace (epochs/s)",
    ),
    Binding(
        "right_square_bracket",
        "faster",
        "Faster",
        id="faster",
        key_display="]",
        group=PACE_KEYS,
        tooltip="Faster pace, up to unlimited",
    ),
    Binding("l", "log_scale", "Log", id="log-scale", show=False, tooltip="Log / linear loss axis"),
    Binding(
        "s",
        "smoothing",
        "Smooth",
        id="smoothing",
        show=False,
        tooltip="Smoothing (raw line stays)",
    ),
    Binding(
        "y",
        "shared_y",
        "Axes",
        id="shared-y",
        show=False,
        tooltip="Loss plots: one shared y-axis / each its own",
    ),
    Binding("o", "overlay", "Overlay", id="overlay", tooltip="Overlay both runs' val loss"),
    Binding(
        "g",
        "rates_view",
        "Rates",
        id="rates-view",
        show=False,
        tooltip="Learning-rate grid: val score vs rate, both runs / the loss plots",
    ),
    Binding(
        "m",
        "screen.toggle_members",
        "Seeds",
        id="members",
        show=False,
        tooltip="Each seed's val loss line",
    ),
    Binding(
        "h",
        "learning_view",
        "Learning",
        id="learning-view",
        show=False,
        tooltip="Layers: histograms / learning",
    ),
    Binding("t", "next_theme", "Theme", id="theme", show=False, tooltip="Next colour theme"),
    Binding("e", "export", "Export", id="export", tooltip="Export SVG screenshot + CSV"),
    *(
        Binding(
            key,
            f"toggle_pane('{pane}')",
            label,
            id=f"pane-{pane}",
            show=False,
            tooltip=f"Show / hide {label}",
        )
        for key, (pane, label) in PANES.items()
    ),
    Binding(
        "i",
        "inputs_page",
        "Inputs",
        id="inputs-page",
        show=False,
        tooltip="Next page of features in the inputs pane",
    ),
    Binding("question_mark,f1", "help", "Help", id="help", key_display="?", tooltip="This help"),
    Binding(
        "G,end",
        "jump_to_end",
        "End",
        id="jump-to-end",
        tooltip="Show the rest of the log at once",
    ),
    Binding(
        "escape",
        "back",
        "Sweep",
        id="back",
        key_display="esc",
        tooltip="Back to the sweep's matrix (stops this cell's training; the sweep goes on)",
    ),
    Binding("q", "quit_app", "Quit", id="quit", tooltip="Quit (stops training)"),
]


def key_rows(
    bindings: Iterable[BindingType],
    *,
    key_display: Callable[[Binding], str],
    allowed: Callable[[str], bool | None],
    playback: bool,
    live: bool,
) -> list[tuple[str, str]]:
    """(keys, description) for every binding the source allows, in table order.

    `key_display` is the app's `get_key_display`, applied to each key of a binding on its own
    ("+ / =", "? / F1"); replays and `watch` get descriptions that say what the key does there.
    """
    rows = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not (binding.tooltip or binding.description):
            continue
        if not allowed(binding.action):
            continue
        keys = [key_display(Binding(key.strip(), "")) for key in binding.key.split(",")]
        description = binding.tooltip or binding.description
        if playback:
            description = PLAYBACK_TOOLTIPS.get(binding.action, description)
        elif not live and binding.action == "quit_app":
            description = WATCH_QUIT
        rows.append((" / ".join(keys), description))
    rows.append(("ctrl+p", "Command palette"))
    return rows

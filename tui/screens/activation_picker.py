"""A list to jump straight to any activation (the `a`/`A` keys only step through them)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from normtui.engine.config import RELU_FAMILY, SATURATING


def _hint(name: str) -> str:
    if name in SATURATING:
        return "saturates"
    if name == "relu":
        return "can die"
    if name in RELU_FAMILY:  # a unit that is never positive still passes a gradient
        return "can go off, not dead"
    return ""


class ActivationPicker(ModalScreen[str | None]):
    """Returns the chosen activation name, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,p,q", "cancel", "Cancel", id="cancel-picker", priority=True)
    ]

    def __init__(self, activations: tuple[str, ...], current: str, keep_weights: bool) -> None:
        super().__init__()
        self._activations = activations
        self._current = current
        self._keep_weights = keep_weights

    def compose(self) -> ComposeResult:
        options = []
        for name in self._activations:
            hint = _hint(name)
            if name == self._current:
                hint = f"current · {hint}" if hint else "current"
            label = f"{name:<12}[dim]{hint}[/]" if hint else name
            options.append(Option(label, id=name))
        picker = OptionList(*options, id="activation-list")
        mode = "keeping weights" if self._keep_weights else "restarting both runs"
        picker.border_title = "switch activation"
        picker.border_subtitle = f"Enter: switch ({mode}) · Esc: cancel"
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        if self._current in self._activations:
            picker.highlighted = self._activations.index(self._current)
        picker.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

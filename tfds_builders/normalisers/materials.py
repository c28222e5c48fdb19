"""Museum medium text -> material tags (multi-label), from a documented vocabulary.

Each tag lists the words that assign it (matched as whole words, case-insensitive). Specific stones also
assign the umbrella tag "stone". Colour words that name a material only by analogy ("turquoise faience",
"Egyptian blue" glaze) do not assign the gem. A medium that names none of the words gets no tag, which the
dataset keeps as a missing label (masked in the loss), not as "no material".

| tag                  | words |
|----------------------|-------|
"""

from __future__ import annotations

import re

from tfds_builders.label_columns import register_normaliser

MATERIALS: dict[str, tuple[str, ...]] = {
    "limestone": ("limestone", "chalk"),
    "sandstone": ("sandstone", "quartzite"),
    "granite": ("granite", "granodiorite", "diorite", "gneiss", "basalt", "graywacke", "greywacke", "schist"),
    "calcite": ("travertine", "alabaster", "calcite", "anhydrite", "gypsum"),
    "steatite": ("steatite", "serpentinite", "serpentine", "soapstone"),
    "marble": ("marble",),
    "gemstone": ("carnelian", "amethyst", "turquoise", "lapis lazuli", "lapis-lazuli", "jasper", "agate",
                 "feldspar", "quartz", "hematite", "obsidian", "garnet", "beryl", "chalcedony", "rock crystal",
                 "amber", "sard"),
    "stone": ("stone", "slate", "flint", "chert", "siltstone", "porphyry", "gabbro", "andesite", "chlorite",
              "peridotite", "listwaenite", "metagraywacke", "quarzite", "limonite"),
    "faience": ("faience", "egyptian blue", "frit"),
    "glass": ("glass",),
    "copper_alloy": ("bronze", "copper", "cupreous", "brass"),
    "gold": ("gold", "gilt", "gilded", "gilding", "electrum"),
    "silver": ("silver", "billon"),
    "iron_lead": ("iron", "lead", "tin"),
    "wood": ("wood", "wooden", "sycamore", "sycomore", "cedar", "ebony", "acacia", "boxwood", "tamarisk", "ficus",
             "fig"),
    "ivory_bone": ("ivory", "bone", "hippopotamus"),
    "ceramic": ("ceramic", "terracotta", "clay", "pottery", "earthenware", "nile silt", "marl", "ware", "mud",
                "porcelain"),
    "paint": ("paint", "painted", "pigment", "tempera", "polychrome", "ink", "wash", "watercolor"),
    "plaster": ("gesso", "gessoed", "plaster", "plastered", "stucco", "cartonnage"),
    "textile": ("linen", "textile", "cord", "flax", "wool"),
    "paper": ("paper",),
    "papyrus": ("papyrus",),
    "leather": ("leather", "hide", "rawhide"),
}
TAGS: tuple[str, ...] = tuple(MATERIALS)
_STONES = ("limestone", "sandstone", "granite", "calcite", "steatite", "marble", "gemstone")
_NOT_A_GEM = re.compile(r"turquoise\s+(?:faience|glaze|blue|green)|(?:blue|green)\s*-?\s*turquoise", re.I)
_NOT_LEAD = re.compile(r"\bleaded\b", re.I)  # "leaded bronze" is a bronze, not lead

_PATTERNS = {tag: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I)
             for tag, words in MATERIALS.items()}

__doc__ += "\n".join(f"| {tag:20} | {', '.join(words)} |" for tag, words in MATERIALS.items()) + "\n"


@register_normaliser("materials")
def normalise_materials(text: str | None) -> list[str]:
    """The material tags of a medium string, in vocabulary order (empty when none is recognised)."""
    if not text:
        return []
    text = _NOT_A_GEM.sub(" faience ", _NOT_LEAD.sub(" ", str(text)))
    tags = [tag for tag, pattern in _PATTERNS.items() if pattern.search(text)]
    if any(tag in _STONES for tag in tags) and "stone" not in tags:
        tags.append("stone")
    return [t for t in TAGS if t in tags]

"""Only what pyproject.toml cannot say: the task configs, edited in `configs/` at the top of the repository, ship
inside the package as `artzoo/configs/*.yaml` (read by `artzoo.config.configs_dir`). Everything else is in
pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONFIGS = Path(__file__).resolve().parent / "configs"


class BuildWithConfigs(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return  # an editable install reads configs/ in the checkout itself
        target = Path(self.build_lib) / "artzoo" / "configs"
        target.mkdir(parents=True, exist_ok=True)
        for config in sorted(CONFIGS.glob("*.yaml")):
            self.copy_file(str(config), str(target / config.name))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs += [str(Path(self.build_lib) / "artzoo" / "configs" / c.name) for c in CONFIGS.glob("*.yaml")]
        return outputs


setup(cmdclass={"build_py": BuildWithConfigs})

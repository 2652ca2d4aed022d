"""English texts that rnncore holds itself, taken as they are so that the English page says exactly
what rnncore says: every error and note template (rnncore.messages), what a run says about itself,
and the one-line descriptions of generators and samples."""

from rnncore.data.generators import describe_generator, list_generators
from rnncore.data.samples import list_samples, sample_description
from rnncore.messages import (
    BASELINE_NOTES,
    BUNDLE_MESSAGES,
    CLASS_MESSAGES,
    CONFIG_MESSAGES,
    DATA_MESSAGES,
    DATA_NOTES,
    RUN_MESSAGES,
    SETTINGS_MESSAGES,
    STORE_MESSAGES,
    STORE_NOTES,
    SWEEP_MESSAGES,
)

FAMILIES = {"dataerror": DATA_MESSAGES, "datanote": DATA_NOTES, "configerror": CONFIG_MESSAGES,
            "bundleerror": BUNDLE_MESSAGES, "reason": RUN_MESSAGES, "baselinenote": BASELINE_NOTES,
            "storeerror": STORE_MESSAGES, "storenote": STORE_NOTES, "classerror": CLASS_MESSAGES,
            "sweeperror": SWEEP_MESSAGES, "settingserror": SETTINGS_MESSAGES}

CORE: dict[str, str] = {
    **{f"{family}.{key}": template for family, table in FAMILIES.items() for key, template in table.items()},
    **{f"generator_about.{name}": describe_generator(name) for name in list_generators()},
    **{f"sample_about.{name}": sample_description(name) for name in list_samples()},
}

"""English texts that rnncore holds itself: the messages of ConfigError and BundleError
(rnncore.messages_errors) and the one-line descriptions of generators and samples, taken as they
are so that the English page says exactly what str(error) says."""

from rnncore.data import list_samples, sample_description
from rnncore.data.generators import describe_generator, list_generators
from rnncore.messages import BUNDLE_MESSAGES, CONFIG_MESSAGES

CORE: dict[str, str] = {
    **{f"configerror.{key}": text for key, text in CONFIG_MESSAGES.items()},
    **{f"bundleerror.{key}": text for key, text in BUNDLE_MESSAGES.items()},
    **{f"generator_about.{name}": describe_generator(name) for name in list_generators()},
    **{f"sample_about.{name}": sample_description(name) for name in list_samples()},
}

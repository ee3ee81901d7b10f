from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "keel.reminders"
    label = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        """The text-message adapter is imported at start, so a misspelt path or a missing dependency stops
        `keel` with its configuration error rather than the first page or reminder that sends a text
        (review 38g hole 4)."""
        from django.conf import settings
        from django.utils.module_loading import import_string

        from keel.env import ConfigError, choices_words

        if not settings.KEEL_SMS_BACKEND:
            return
        try:
            import_string(settings.KEEL_SMS_BACKEND)
        except ImportError as exc:
            words = choices_words("KEEL_SMS_BACKEND", settings.SMS_BACKENDS)
            raise ConfigError(f"{words}; {settings.KEEL_SMS_BACKEND!r} cannot be imported ({exc})") from None

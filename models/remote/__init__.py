"""Engines that run on someone else's server: OpenAI-compatible LLM servers, DeepL, LibreTranslate.

They share one resilience layer (models/remote/http.py: timeouts, retries honouring Retry-After,
a circuit breaker, health counters) and take the caller's rules as plain data
(`models.base.TranslationRules`)."""

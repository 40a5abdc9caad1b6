-- The bundled default model pack, so the catalogue is not empty on a fresh database.
insert into public.models (name, sha256, hidden_size, max_tokens)
values ('tinylm-en-v1', 'a0f1b90c343879d9c3cfbb96440511fb1b81464a46ddcbc14d51d2e8f6c53442', 256, 512)
on conflict (name) do nothing;

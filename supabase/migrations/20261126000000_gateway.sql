-- Gateway tables: API keys, the prediction log, per-day usage, and the model/detector catalogue.
-- Row-level security: a key's owner (auth.uid()) reads only their own rows; only the service
-- role (the gateway) writes.

create extension if not exists pgcrypto;

create table if not exists public.models (
  name text primary key,
  sha256 text not null,
  hidden_size integer,
  max_tokens integer,
  created_at timestamptz not null default now()
);

create table if not exists public.detectors (
  name text not null,
  version text not null,
  model_name text not null references public.models (name),
  profile_thresholds jsonb not null default '{}'::jsonb,
  metrics jsonb not null default '{}'::jsonb,
  released_at timestamptz not null default now(),
  primary key (name, version)
);

create table if not exists public.api_keys (
  id uuid primary key default gen_random_uuid(),
  -- Visible part of the key (dk_live_<prefix>_<secret>), unique so it finds the row.
  prefix text not null unique check (prefix ~ '^[a-z0-9]{10}$'),
  -- "hmac:<hex>" (HMAC-SHA256 with the server pepper) or "sha256:<hex>"; never the key itself.
  key_hash text not null check (key_hash ~ '^(hmac|sha256):[0-9a-f]{64}$'),
  owner_id uuid not null,
  name text,
  tier text not null default 'free' check (tier in ('free', 'pro', 'enterprise')),
  scopes text[] not null default array['detect', 'extract', 'history'],
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index if not exists api_keys_owner_idx on public.api_keys (owner_id);

create table if not exists public.predictions (
  id bigint generated always as identity primary key,
  request_id text not null,
  item_index integer not null default 0,
  key_id uuid references public.api_keys (id) on delete set null,
  owner_id uuid,
  route text not null,
  text_sha256 text not null check (text_sha256 ~ '^[0-9a-f]{64}$'),
  text_length integer not null check (text_length >= 0),
  detector text not null,
  detector_version text not null,
  label text not null,
  probability double precision not null,
  latency_ms integer not null,
  cached boolean not null,
  created_at timestamptz not null default now(),
  -- Makes writes idempotent: the spool may deliver a record twice.
  unique (request_id, item_index)
);
-- History pages: newest first per owner, with a stable tie-break.
create index if not exists predictions_owner_history_idx on public.predictions (owner_id, created_at desc, request_id desc, item_index desc);
create index if not exists predictions_key_created_idx on public.predictions (key_id, created_at desc);
create index if not exists predictions_created_idx on public.predictions (created_at);

create table if not exists public.usage (
  key_id uuid not null references public.api_keys (id) on delete cascade,
  day date not null,
  requests integer not null default 0,
  texts integer not null default 0,
  primary key (key_id, day)
);

-- Which requests were already counted, so a spooled record delivered twice counts once.
create table if not exists public.usage_requests (
  request_id text primary key,
  key_id uuid not null references public.api_keys (id) on delete cascade,
  day date not null,
  created_at timestamptz not null default now()
);
create index if not exists usage_requests_created_idx on public.usage_requests (created_at);

-- One call per answered request (or per spool flush): its prediction rows and its usage count.
-- Idempotent on request id; counting happens here so concurrent gateway isolates never lose an
-- increment.
create or replace function public.log_requests(p_batches jsonb)
returns void
language plpgsql
as $$
declare
  b jsonb;
  counted integer;
begin
  for b in select value from jsonb_array_elements(p_batches) loop
    insert into public.predictions (
      request_id, item_index, key_id, owner_id, route, text_sha256, text_length, detector,
      detector_version, label, probability, latency_ms, cached, created_at
    )
    select r.request_id, r.item_index, r.key_id, r.owner_id, r.route, r.text_sha256, r.text_length,
           r.detector, r.detector_version, r.label, r.probability, r.latency_ms, r.cached,
           coalesce(r.created_at, now())
    from jsonb_to_recordset(coalesce(b -> 'rows', '[]'::jsonb)) as r (
      request_id text, item_index integer, key_id uuid, owner_id uuid, route text, text_sha256 text,
      text_length integer, detector text, detector_version text, label text,
      probability double precision, latency_ms integer, cached boolean, created_at timestamptz
    )
    on conflict (request_id, item_index) do nothing;

    if jsonb_typeof(b -> 'usage') = 'object' then
      insert into public.usage_requests (request_id, key_id, day)
      values (b ->> 'request_id', (b -> 'usage' ->> 'key_id')::uuid, (b -> 'usage' ->> 'day')::date)
      on conflict (request_id) do nothing;
      get diagnostics counted = row_count;
      if counted > 0 then
        insert into public.usage (key_id, day, requests, texts)
        values ((b -> 'usage' ->> 'key_id')::uuid, (b -> 'usage' ->> 'day')::date, 1, (b -> 'usage' ->> 'texts')::integer)
        on conflict (key_id, day) do update
          set requests = public.usage.requests + 1,
              texts = public.usage.texts + excluded.texts;
      end if;
    end if;
  end loop;
end
$$;

-- Retention: deletes predictions older than the given age; returns how many went.
create or replace function public.prune_predictions(older_than interval default interval '90 days')
returns bigint
language plpgsql
as $$
declare
  removed bigint;
begin
  delete from public.predictions where created_at < now() - older_than;
  get diagnostics removed = row_count;
  delete from public.usage_requests where created_at < now() - older_than;
  return removed;
end
$$;

alter table public.models enable row level security;
alter table public.detectors enable row level security;
alter table public.api_keys enable row level security;
alter table public.predictions enable row level security;
alter table public.usage enable row level security;
alter table public.usage_requests enable row level security;

revoke all on public.models, public.detectors, public.api_keys, public.predictions, public.usage, public.usage_requests from anon, authenticated;
grant all on public.models, public.detectors, public.api_keys, public.predictions, public.usage, public.usage_requests to service_role;
grant usage, select on all sequences in schema public to service_role;
revoke all on function public.log_requests(jsonb) from public, anon, authenticated;
revoke all on function public.prune_predictions(interval) from public, anon, authenticated;
grant execute on function public.log_requests(jsonb) to service_role;
grant execute on function public.prune_predictions(interval) to service_role;

-- The catalogue is public; everything else is per owner. The key hash stays out of reach.
grant select on public.models, public.detectors to anon, authenticated;
grant select (id, prefix, owner_id, name, tier, scopes, created_at, revoked_at) on public.api_keys to authenticated;
grant select on public.predictions, public.usage to authenticated;

drop policy if exists models_read on public.models;
create policy models_read on public.models for select to anon, authenticated using (true);
drop policy if exists detectors_read on public.detectors;
create policy detectors_read on public.detectors for select to anon, authenticated using (true);
drop policy if exists api_keys_owner_read on public.api_keys;
create policy api_keys_owner_read on public.api_keys for select to authenticated using (owner_id = auth.uid());
drop policy if exists predictions_owner_read on public.predictions;
create policy predictions_owner_read on public.predictions for select to authenticated using (owner_id = auth.uid());
drop policy if exists usage_owner_read on public.usage;
create policy usage_owner_read on public.usage for select to authenticated
  using (exists (select 1 from public.api_keys k where k.id = usage.key_id and k.owner_id = auth.uid()));

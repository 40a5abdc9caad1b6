-- History where operators look for it: comments that the Supabase table editor shows beside every
-- table and column, the answer's warning codes on each prediction (so an abstention keeps its
-- reason), and views for the questions operators ask. The views run with the caller's rights
-- (security_invoker), so row-level security on the tables below still applies, and only the
-- service role (and the dashboard's own postgres role) may read them: they span every owner.

alter table public.predictions add column if not exists warnings text[] not null default '{}';

comment on table public.predictions is
  'One row per scored text (a batch gives one row per item that was scored), written by the gateway after it answered. The text itself is never stored, only its sha256 and length. Pruned after 90 days by prune_predictions().';
comment on column public.predictions.id is 'Row number, in insertion order.';
comment on column public.predictions.request_id is 'The gateway''s own id for the request (its X-Request-Id answer header); rows are de-duplicated on (request_id, item_index).';
comment on column public.predictions.client_request_id is 'The caller''s X-Request-Id when it sent a short printable one; for the caller''s correlation only.';
comment on column public.predictions.item_index is 'Position of the text in a batch request; 0 for a single text.';
comment on column public.predictions.key_id is 'The API key that asked (api_keys.id); null for the keyless demo routes and for keys deleted since.';
comment on column public.predictions.owner_id is 'The key''s owner (auth.users id); owners read only their own rows.';
comment on column public.predictions.route is 'The gateway route that answered: /v1/detect, /analyze or /v1/demo/detect.';
comment on column public.predictions.text_sha256 is 'sha256 of the text as sent, hex; finds repeats without keeping the text.';
comment on column public.predictions.text_length is 'Length of the text as sent, in UTF-16 code units.';
comment on column public.predictions.detector is 'Name of the detector that ran (whatever alias the request used to select it).';
comment on column public.predictions.detector_version is 'Version of that detector; a new release starts a new version.';
comment on column public.predictions.label is 'The verdict as answered: ai, human, or uncertain when the service abstained (the reason is in warnings).';
comment on column public.predictions.warnings is 'Warning codes of the answer: the abstention reasons too_short, unsupported_language, out_of_distribution, and notes such as normalized_evasion or long_text_windows.';
comment on column public.predictions.probability is 'Probability that a model wrote the text, as the detector''s calibrated head gave it (0..1).';
comment on column public.predictions.latency_ms is 'Time from the request reaching the gateway to the answer, in milliseconds.';
comment on column public.predictions.cached is 'True when the answer came from the response cache rather than the model.';
comment on column public.predictions.created_at is 'When the gateway answered.';

comment on table public.usage is 'Requests and texts per API key and UTC day, counted once per request (see usage_requests); what daily quotas are measured against.';
comment on column public.usage.key_id is 'The API key (api_keys.id).';
comment on column public.usage.day is 'UTC day.';
comment on column public.usage.requests is 'Answered requests that day.';
comment on column public.usage.texts is 'Texts scored that day (a batch counts each of its texts).';
comment on table public.usage_requests is 'Request ids already counted in usage, so a record the spool delivers twice counts once; pruned with the predictions.';
comment on table public.prediction_dead_letters is 'Prediction batches the database refused (a key deleted while its records waited, a malformed row), kept with the reason so they can be replayed once the cause is fixed.';
comment on table public.api_keys is 'API keys: only a hash of each key is kept (key_hash); prefix is the visible part that finds the row.';
comment on column public.api_keys.prefix is 'The visible part of the key, dk_live_<prefix>_<secret>; safe to show and to search for.';
comment on column public.api_keys.tier is 'free, pro or enterprise: sets the per-minute limit and the daily text quota.';
comment on column public.api_keys.revoked_at is 'When the key was revoked; a revoked key is refused within KEY_CACHE_TTL_MS.';

-- Predictions per UTC day by detector version and verdict.
create or replace view public.prediction_daily
with (security_invoker = true) as
select
  (p.created_at at time zone 'UTC')::date as day,
  p.detector,
  p.detector_version,
  p.label,
  count(*) as predictions,
  count(*) filter (where p.cached) as cached,
  avg(p.probability) as mean_probability,
  percentile_cont(0.5) within group (order by p.latency_ms) as median_latency_ms
from public.predictions p
group by 1, 2, 3, 4;
comment on view public.prediction_daily is 'Predictions per UTC day, detector, detector version and label (ai, human, uncertain), with how many came from the cache, the mean probability and the median latency.';

-- Every abstention with its reasons. An uncertain verdict with none of the abstention warnings
-- fell between the strict and balanced thresholds (the strict profile's undecided band).
create or replace view public.prediction_abstentions
with (security_invoker = true) as
select
  p.id,
  p.created_at,
  p.request_id,
  p.key_id,
  p.route,
  p.detector,
  p.detector_version,
  p.probability,
  coalesce(
    nullif(array(select w from unnest(p.warnings) as w where w in ('too_short', 'unsupported_language', 'out_of_distribution') order by w), '{}'),
    array['between_thresholds']
  ) as reasons
from public.predictions p
where p.label = 'uncertain';
comment on view public.prediction_abstentions is 'Every uncertain verdict with its reasons: too_short, unsupported_language, out_of_distribution, or between_thresholds (the strict profile''s band between its two thresholds).';

create or replace view public.abstention_reasons_daily
with (security_invoker = true) as
select (a.created_at at time zone 'UTC')::date as day, a.detector, a.detector_version, r.reason, count(*) as abstentions
from public.prediction_abstentions a
cross join lateral unnest(a.reasons) as r (reason)
group by 1, 2, 3, 4;
comment on view public.abstention_reasons_daily is 'Abstentions per UTC day, detector version and reason; a text with two reasons counts under each.';

-- Usage per key and day, with what identifies the key (never its hash).
create or replace view public.usage_by_key
with (security_invoker = true) as
select
  u.day,
  k.id as key_id,
  k.prefix,
  k.name,
  k.owner_id,
  k.tier,
  k.revoked_at,
  u.requests,
  u.texts
from public.usage u
join public.api_keys k on k.id = u.key_id;
comment on view public.usage_by_key is 'Requests and texts per API key and UTC day, with the key''s prefix, name, owner, tier and revocation.';

revoke all on public.prediction_daily, public.prediction_abstentions, public.abstention_reasons_daily, public.usage_by_key from public, anon, authenticated;
grant select on public.prediction_daily, public.prediction_abstentions, public.abstention_reasons_daily, public.usage_by_key to service_role;

-- log_requests, now writing the warning codes. Records spooled before this migration have none.
create or replace function public.log_requests(p_batches jsonb)
returns jsonb
language plpgsql
as $$
declare
  b jsonb;
  counted integer;
  written integer := 0;
  dead integer := 0;
  msg text;
  detail text;
  state text;
begin
  for b in select value from jsonb_array_elements(p_batches) loop
    if jsonb_typeof(b) <> 'object' then
      insert into public.prediction_dead_letters (request_id, batch, reason)
      values (null, b, 'not a JSON object (a spool entry that did not parse)');
      dead := dead + 1;
      continue;
    end if;
    begin
      insert into public.predictions (
        request_id, client_request_id, item_index, key_id, owner_id, route, text_sha256, text_length,
        detector, detector_version, label, warnings, probability, latency_ms, cached, created_at
      )
      select r.request_id, r.client_request_id, r.item_index, r.key_id, r.owner_id, r.route, r.text_sha256,
             r.text_length, r.detector, r.detector_version, r.label, coalesce(r.warnings, '{}'), r.probability,
             r.latency_ms, r.cached, coalesce(r.created_at, now())
      from jsonb_to_recordset(coalesce(b -> 'rows', '[]'::jsonb)) as r (
        request_id text, client_request_id text, item_index integer, key_id uuid, owner_id uuid, route text,
        text_sha256 text, text_length integer, detector text, detector_version text, label text, warnings text[],
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
      written := written + 1;
    exception when integrity_constraint_violation or data_exception then
      get stacked diagnostics msg = message_text, detail = pg_exception_detail, state = returned_sqlstate;
      insert into public.prediction_dead_letters (request_id, batch, reason, sqlstate)
      values (b ->> 'request_id', b, msg || coalesce(' (' || nullif(detail, '') || ')', ''), state)
      on conflict (request_id) where request_id is not null do nothing;
      dead := dead + 1;
    end;
  end loop;
  return jsonb_build_object('written', written, 'dead_lettered', dead);
end
$$;

revoke all on function public.log_requests(jsonb) from public, anon, authenticated;
grant execute on function public.log_requests(jsonb) to service_role;

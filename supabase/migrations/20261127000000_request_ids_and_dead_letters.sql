-- Request ids and dead letters.
-- predictions.request_id is now always made by the gateway (records are de-duplicated on it, so a
-- caller who chose it could merge other requests' records); the caller's own X-Request-Id is kept
-- beside it. Records the database refuses (a key deleted while its records waited in the spool, a
-- malformed row) are set aside in prediction_dead_letters with the reason instead of failing the
-- whole write, so one bad record cannot block every record spooled behind it.

alter table public.predictions add column if not exists client_request_id text
  check (client_request_id is null or char_length(client_request_id) <= 128);

create table if not exists public.prediction_dead_letters (
  id bigint generated always as identity primary key,
  -- The batch's request id when it has one; a redelivered batch is set aside once.
  request_id text,
  -- The whole batch as the gateway sent it (rows and usage), to be replayed once the cause is fixed.
  batch jsonb not null,
  reason text not null,
  sqlstate text,
  created_at timestamptz not null default now()
);
create unique index if not exists prediction_dead_letters_request_idx on public.prediction_dead_letters (request_id) where request_id is not null;
create index if not exists prediction_dead_letters_created_idx on public.prediction_dead_letters (created_at);

alter table public.prediction_dead_letters enable row level security;
revoke all on public.prediction_dead_letters from anon, authenticated;
grant all on public.prediction_dead_letters to service_role;
grant usage, select on all sequences in schema public to service_role;

-- The return type changes (void -> jsonb), which create or replace cannot do.
drop function if exists public.log_requests(jsonb);

-- One call per answered request (or per spool flush): its prediction rows and its usage count.
-- Idempotent on request id; counting happens here so concurrent gateway isolates never lose an
-- increment. Each batch is written in its own subtransaction: a batch that breaks a constraint or
-- holds bad data goes to prediction_dead_letters and the others are still written. Any other error
-- (the database unavailable, a timeout) fails the call, and the gateway keeps the batches spooled.
-- Answers {"written": n, "dead_lettered": m}.
create function public.log_requests(p_batches jsonb)
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
        detector, detector_version, label, probability, latency_ms, cached, created_at
      )
      select r.request_id, r.client_request_id, r.item_index, r.key_id, r.owner_id, r.route, r.text_sha256,
             r.text_length, r.detector, r.detector_version, r.label, r.probability, r.latency_ms, r.cached,
             coalesce(r.created_at, now())
      from jsonb_to_recordset(coalesce(b -> 'rows', '[]'::jsonb)) as r (
        request_id text, client_request_id text, item_index integer, key_id uuid, owner_id uuid, route text,
        text_sha256 text, text_length integer, detector text, detector_version text, label text,
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

-- Retention: dead letters go with the predictions of the same age.
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
  delete from public.prediction_dead_letters where created_at < now() - older_than;
  return removed;
end
$$;

-- Model and detector registry: each pack's and detector's version, sha256, metrics and where its
-- files live (a folder, or an s3:// / https:// URL), and which detector version is live, so a
-- roll-back is one function call and the history stays.

alter table public.models
  add column if not exists version text not null default '1',
  add column if not exists location text,
  add column if not exists files jsonb not null default '{}'::jsonb,
  add column if not exists metrics jsonb not null default '{}'::jsonb,
  add column if not exists manifest jsonb;

alter table public.models drop constraint if exists models_sha256_format;
alter table public.models add constraint models_sha256_format check (sha256 ~ '^[0-9a-f]{64}$');
alter table public.models drop constraint if exists models_location_format;
alter table public.models add constraint models_location_format
  check (location is null or location ~ '^(s3://|r2://|https://|/|\./)');

alter table public.detectors
  add column if not exists sha256 text,
  add column if not exists location text,
  add column if not exists model_sha256 text,
  add column if not exists is_live boolean not null default false,
  add column if not exists retired_at timestamptz;

alter table public.detectors drop constraint if exists detectors_sha256_format;
alter table public.detectors add constraint detectors_sha256_format check (sha256 is null or sha256 ~ '^[0-9a-f]{64}$');
alter table public.detectors drop constraint if exists detectors_location_format;
alter table public.detectors add constraint detectors_location_format
  check (location is null or location ~ '^(s3://|r2://|https://|/|\./)');

-- At most one live version per detector name.
create unique index if not exists detectors_one_live_idx on public.detectors (name) where is_live;

-- Makes one version the live one (publishing or rolling back); the others of that name stop
-- being live. Returns the version that was live before, or null.
create or replace function public.set_live_detector(detector_name text, detector_version text)
returns text
language plpgsql
as $$
declare
  previous text;
begin
  if not exists (select 1 from public.detectors where name = detector_name and version = detector_version) then
    raise exception 'detector %@% is not registered', detector_name, detector_version using errcode = 'no_data_found';
  end if;
  select version into previous from public.detectors where name = detector_name and is_live;
  update public.detectors set is_live = false, retired_at = now()
    where name = detector_name and is_live and version <> detector_version;
  update public.detectors set is_live = true, retired_at = null
    where name = detector_name and version = detector_version;
  return previous;
end
$$;

revoke all on function public.set_live_detector(text, text) from public, anon, authenticated;
grant execute on function public.set_live_detector(text, text) to service_role;

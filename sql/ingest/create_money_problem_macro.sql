-- money_problem(field, raw): why the text `raw` is not an exact DECIMAL(18,2) amount, or null when it is.
-- Read from the text itself, never through DOUBLE: a value must be below 1e16 in size and exact in cents
-- (at most 2 decimals once trailing zeros are dropped, exponent included: 1.5e3 is fine, 1.2e-05 is not).
-- DECIMAL(38,20) holds every value with up to 20 decimals exactly, so comparing it with its rounding to
-- cents is exact; more decimals than that are caught on the text.
create or replace temp macro money_problem(field, raw) as
    case
        -- The common case, plainly exact: up to 16 digits and 2 decimals.
        when regexp_full_match(trim(raw), '[+-]?(\d{1,16}(\.\d{0,2}0*)?|\.\d{1,2}0*)') then null
        when raw is null or trim(raw) = '' then field || ' is blank'
        when lower(trim(raw)) in ('nan', '+nan', '-nan') then field || ' is NaN'
        when regexp_full_match(lower(trim(raw)), '[+-]?inf(inity)?')
            then field || ' ''' || shown(raw) || ''' is infinite'
        when not regexp_full_match(trim(raw), '[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?')
            then field || ' ''' || shown(raw) || ''' is not a number'
        when length(rtrim(regexp_extract(trim(raw), '\.(\d*)', 1), '0'))
            - coalesce(try_cast(regexp_extract(trim(raw), '[eE]([+-]?\d+)$', 1) as hugeint), 0) > 20
            then field || ' ''' || shown(raw) || ''' has more than 2 decimals'
        when coalesce(abs(try_cast(trim(raw) as decimal(38, 20))) >= 1e16, true)
            then field || ' ''' || shown(raw) || ''' is too large for DECIMAL(18,2)'
        when try_cast(trim(raw) as decimal(38, 20)) <> round(try_cast(trim(raw) as decimal(38, 20)), 2)
            then field || ' ''' || shown(raw) || ''' has more than 2 decimals'
    end

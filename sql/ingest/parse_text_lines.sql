-- Split raw lines (table _raw_lines: source_file, line_number, raw blob) into fields.
-- text: fields are separated by runs of white space; csv: by $delimiter, with "quoted" fields
-- ($csv_field_pattern matches one field and its delimiter). One record per line.
create or replace temp table _parsed as
with decoded as (
    select
        source_file,
        line_number,
        raw,
        -- A UTF-8 byte order mark is not part of the first line (headerless files).
        case
            when line_number = 1 then ltrim(rtrim(try(decode(raw)), chr(13)), chr(65279))
            else rtrim(try(decode(raw)), chr(13))
        end as line
    from _raw_lines
),

split as (
    select
        *,
        case
            when line is null or trim(line) = '' then null
            when $format = 'text' then regexp_split_to_array(trim(line), '\s+')
            else regexp_extract_all(line || $delimiter, $csv_field_pattern, 1)
        end as fields
    from decoded
),

final as (
    select
        source_file,
        line_number,
        coalesce(line, raw::varchar) as raw_record,
        case
            when line is null then 'invalid UTF-8 in the record'
            when trim(line) = '' then 'blank line'
            when $format = 'csv' and array_to_string(fields, $delimiter) <> line
                then 'malformed quoting: a quote inside an unquoted field or an unclosed quoted field'
            when len(fields) <> $expected_fields
                then 'wrong number of fields: expected ' || $expected_fields || ', found ' || len(fields)
        end as parse_error,
        list_transform(
            fields,
            lambda f: case
                when $format = 'csv' and f like '"%"' then replace(substring(f, 2, length(f) - 2), '""', '"')
                else f
            end
        ) as fields
    from split
)

select * from final

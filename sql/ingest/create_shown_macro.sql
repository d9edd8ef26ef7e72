-- shown(value): a value as messages quote it: control characters as \xNN (a reason must not move a
-- terminal's cursor or hide text), cut to 60 characters so that one huge field cannot flood a report.
create or replace temp macro shown(v) as
    array_to_string(
        list_transform(
            string_split(left(v, 60), ''),
            lambda c: case
                when ord(c) < 32 or ord(c) between 127 and 159 then '\x' || lpad(upper(to_hex(ord(c))), 2, '0')
                else c
            end
        ),
        ''
    ) || case when length(v) > 60 then '…' else '' end

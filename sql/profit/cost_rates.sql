-- The cost model's prices as macros, shared by the customer P&L (sql/profit/customer_profit_base.sql) and the unit
-- costs of CLV in profit terms (sql/clv/customer_unit_costs.sql), so that both price a line the same way. The
-- rates come in as arguments (bound parameters of the calling statement).

-- rate_for(key, keys, rates, fallback): the rate of a category or channel, else the default.
create or replace temp macro rate_for(key, rate_keys, rates, fallback) as
    coalesce(map(rate_keys::varchar[], rates::double[])[key], fallback);

-- line_cogs(...): a sale line's cost of goods, to the cent: unit_cost x quantity, or amount x the category rate;
-- 0 for a return line (returned goods are not credited back).
create or replace temp macro line_cogs(amount, quantity, unit_cost, category, method, rate_keys, rates, fallback) as
    case when amount > 0 then round(
        case
            when method = 'unit_cost' and unit_cost is not null then unit_cost * quantity
            else amount * rate_for(category, rate_keys, rates, fallback)
        end, 2)
    else 0 end;

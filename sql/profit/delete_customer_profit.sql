delete from profit.customer_profit

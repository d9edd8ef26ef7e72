delete from profit.at_risk_customers

delete from profit.whale_curve

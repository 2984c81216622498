module gomaptrace.bench/churn

go 1.19

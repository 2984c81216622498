module gomaptrace.bench/meter

go 1.19

module gomaptrace.bench/fleet

go 1.19

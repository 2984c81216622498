module gomaptrace.bench/service

go 1.19

module gomaptrace.bench/bigmap

go 1.19

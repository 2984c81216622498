module gomaptrace.bench/bigmap

go 1.19

require gomaptrace.bench/meter v0.0.0

replace gomaptrace.bench/meter => ../meter

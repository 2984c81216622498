module gomaptrace.test/real/promtarget

go 1.22

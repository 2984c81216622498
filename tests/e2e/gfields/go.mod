module gomaptrace.test/gfields

go 1.18

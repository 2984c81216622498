module stubborn

go 1.19

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A self-contained ELF64 reader.  libelf would do, but this file is the
 * first thing that touches bytes from an untrusted container, and keeping
 * every bound check in one short file that the fuzzer covers whole is worth
 * more than the few hundred lines it saves.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "goelf.h"

/* Anything larger is not a Go executable we want to map as root. */
#define GOELF_MAX_FILE		(4ULL << 30)
#define GOELF_MAX_SECTIONS	4096
#define GOELF_MAX_SEGMENTS	256

struct goelf_reloc {
	uint64_t where;
	uint64_t addend;
};

struct goelf {
	char *path;
	const uint8_t *data;
	size_t len;
	bool mapped;
	bool code_dropped;	/* goelf__drop_code(): code bytes are gone */
	uint16_t type;

	struct goelf_section *secs;
	size_t sec_cnt;
	struct goelf_segment *segs;
	size_t seg_cnt;

	struct goelf_reloc *relocs;	/* RELATIVE relocations, sorted by where */
	size_t reloc_cnt;

	const struct goelf_section *symtab, *symstrtab;
	const struct goelf_section *dynsym, *dynstrtab;
	bool dynamic;
};

static bool range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

static bool in_dropped(const struct goelf *elf, uint64_t off, uint64_t len);

const uint8_t *goelf__file_ptr(const struct goelf *elf, uint64_t off, uint64_t len)
{
	if (!range_ok(off, len, elf->len) || in_dropped(elf, off, len))
		return NULL;
	return elf->data + off;
}

/* A NUL-terminated string at off inside the string table sec, or NULL. */
static const char *strtab_str(const struct goelf *elf,
			      const struct goelf_section *sec, uint64_t off)
{
	const char *base, *nul;

	if (!sec || sec->type == SHT_NOBITS || off >= sec->size)
		return NULL;
	base = (const char *)elf->data + sec->offset;
	nul = memchr(base + off, '\0', sec->size - off);
	return nul ? base + off : NULL;
}

static int reloc_cmp(const void *a, const void *b)
{
	const struct goelf_reloc *x = a, *y = b;

	return x->where < y->where ? -1 : x->where > y->where;
}

static int load_relocs(struct goelf *elf, struct gm_err *err)
{
	size_t i, j, n = 0;

	for (i = 0; i < elf->sec_cnt; i++)
		if (elf->secs[i].type == SHT_RELA)
			n += elf->secs[i].size / sizeof(Elf64_Rela);
	if (!n)
		return 0;
	elf->relocs = calloc(n, sizeof(*elf->relocs));
	if (!elf->relocs)
		return gm_err_set(err, ENOMEM, "out of memory for %zu relocations", n);
	for (i = 0; i < elf->sec_cnt; i++) {
		const struct goelf_section *s = &elf->secs[i];

		if (s->type != SHT_RELA)
			continue;
		for (j = 0; j < s->size / sizeof(Elf64_Rela); j++) {
			Elf64_Rela r;

			memcpy(&r, elf->data + s->offset + j * sizeof(r), sizeof(r));
			if (ELF64_R_TYPE(r.r_info) != R_X86_64_RELATIVE)
				continue;
			elf->relocs[elf->reloc_cnt].where = r.r_offset;
			elf->relocs[elf->reloc_cnt].addend = (uint64_t)r.r_addend;
			elf->reloc_cnt++;
		}
	}
	qsort(elf->relocs, elf->reloc_cnt, sizeof(*elf->relocs), reloc_cmp);
	return 0;
}

static int parse(struct goelf *elf, struct gm_err *err)
{
	Elf64_Ehdr eh;
	const struct goelf_section *shstr;
	size_t i;

	if (elf->len < EI_NIDENT || memcmp(elf->data, ELFMAG, SELFMAG))
		return gm_err_set(err, GM_ENOTGO, "not an ELF file");
	if (elf->data[EI_CLASS] != ELFCLASS64)
		return gm_err_set(err, GM_EARCH, "32-bit ELF is not supported (Go register ABI needs x86-64)");
	if (elf->data[EI_DATA] != ELFDATA2LSB)
		return gm_err_set(err, GM_EARCH, "big-endian ELF is not supported");
	if (elf->len < sizeof(eh))
		return gm_err_set(err, GM_EMALFORMED, "truncated ELF header");
	memcpy(&eh, elf->data, sizeof(eh));
	if (eh.e_machine != EM_X86_64)
		return gm_err_set(err, GM_EARCH, "unsupported architecture %s (only x86-64 is supported)",
				  eh.e_machine == EM_AARCH64 ? "aarch64" :
				  eh.e_machine == EM_386 ? "i386" :
				  eh.e_machine == EM_RISCV ? "riscv" : "(other)");
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return gm_err_set(err, GM_ENOTGO, "ELF type %u is not an executable", eh.e_type);
	elf->type = eh.e_type;

	/* program headers */
	if (eh.e_phnum && eh.e_phentsize != sizeof(Elf64_Phdr))
		return gm_err_set(err, GM_EMALFORMED, "bad program header entry size %u", eh.e_phentsize);
	if (eh.e_phnum > GOELF_MAX_SEGMENTS)
		return gm_err_set(err, GM_EMALFORMED, "too many program headers (%u)", eh.e_phnum);
	if (!range_ok(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), elf->len))
		return gm_err_set(err, GM_EMALFORMED, "truncated file: program headers past end of file");
	elf->segs = calloc(eh.e_phnum ? eh.e_phnum : 1, sizeof(*elf->segs));
	if (!elf->segs)
		return gm_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		struct goelf_segment *sg = &elf->segs[i];

		memcpy(&ph, elf->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		sg->type = ph.p_type;
		sg->flags = ph.p_flags;
		sg->offset = ph.p_offset;
		sg->vaddr = ph.p_vaddr;
		sg->filesz = ph.p_filesz;
		sg->memsz = ph.p_memsz;
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			elf->dynamic = elf->dynamic || ph.p_type == PT_INTERP;
		if (ph.p_type == PT_LOAD) {
			/* A truncated file is caught here rather than at every read. */
			if (!range_ok(ph.p_offset, ph.p_filesz, elf->len))
				return gm_err_set(err, GM_EMALFORMED, "truncated file: segment %zu (offset %#llx, size %#llx) past end of file",
						  i, (unsigned long long)ph.p_offset,
						  (unsigned long long)ph.p_filesz);
			if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
				return gm_err_set(err, GM_EMALFORMED, "segment %zu wraps the address space", i);
		}
	}
	elf->seg_cnt = eh.e_phnum;

	/* section headers */
	if (!eh.e_shnum)
		return gm_err_set(err, GM_EMALFORMED, "no section headers");
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return gm_err_set(err, GM_EMALFORMED, "bad section header entry size %u", eh.e_shentsize);
	if (eh.e_shnum > GOELF_MAX_SECTIONS)
		return gm_err_set(err, GM_EMALFORMED, "too many sections (%u)", eh.e_shnum);
	if (!range_ok(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), elf->len))
		return gm_err_set(err, GM_EMALFORMED, "truncated file: section headers past end of file");
	if (eh.e_shstrndx >= eh.e_shnum)
		return gm_err_set(err, GM_EMALFORMED, "section name table index %u out of range", eh.e_shstrndx);
	elf->secs = calloc(eh.e_shnum, sizeof(*elf->secs));
	if (!elf->secs)
		return gm_err_set(err, ENOMEM, "out of memory");
	for (i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		struct goelf_section *s = &elf->secs[i];

		memcpy(&sh, elf->data + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->addr = sh.sh_addr;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    !range_ok(sh.sh_offset, sh.sh_size, elf->len))
			return gm_err_set(err, GM_EMALFORMED, "truncated file: section %zu past end of file", i);
	}
	elf->sec_cnt = eh.e_shnum;

	shstr = &elf->secs[eh.e_shstrndx];
	if (shstr->type != SHT_STRTAB)
		return gm_err_set(err, GM_EMALFORMED, "section name table is not a string table");
	for (i = 0; i < elf->sec_cnt; i++) {
		Elf64_Shdr sh;
		const char *name;

		memcpy(&sh, elf->data + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		name = strtab_str(elf, shstr, sh.sh_name);
		elf->secs[i].name = name ? name : "";
	}
	for (i = 0; i < elf->sec_cnt; i++) {
		struct goelf_section *s = &elf->secs[i];
		Elf64_Shdr sh;

		memcpy(&sh, elf->data + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if ((s->type == SHT_SYMTAB || s->type == SHT_DYNSYM) && sh.sh_link < elf->sec_cnt &&
		    elf->secs[sh.sh_link].type == SHT_STRTAB) {
			if (s->type == SHT_SYMTAB) {
				elf->symtab = s;
				elf->symstrtab = &elf->secs[sh.sh_link];
			} else {
				elf->dynsym = s;
				elf->dynstrtab = &elf->secs[sh.sh_link];
			}
		}
	}
	return load_relocs(elf, err);
}

static struct goelf *open_common(struct goelf *elf, struct gm_err *err)
{
	if (parse(elf, err)) {
		goelf__free(elf);
		return NULL;
	}
	return elf;
}

struct goelf *goelf__open(const char *path, struct gm_err *err)
{
	struct goelf *elf;
	struct stat st;
	size_t done;
	ssize_t n;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gm_err_set(err, errno, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		gm_err_set(err, errno, "cannot stat: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		gm_err_set(err, EINVAL, "not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > GOELF_MAX_FILE) {
		gm_err_set(err, st.st_size ? EFBIG : GM_ENOTGO, st.st_size ? "file too large" : "empty file, not an ELF file");
		close(fd);
		return NULL;
	}
	/*
	 * Private anonymous memory filled by pread(), not a mapping of the
	 * file: a mapped file that is truncated under us (the binary of an
	 * exited process, replaced or cut) turns the next read of a lost page
	 * into SIGBUS, and the whole report with it.  read() also sees the
	 * page cache, never the INT3s of uprobes that others attached.
	 */
	map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		gm_err_set(err, errno, "cannot allocate %lld bytes for it: %s",
			   (long long)st.st_size, strerror(errno));
		close(fd);
		return NULL;
	}
	for (done = 0; done < (size_t)st.st_size; done += (size_t)n) {
		n = pread(fd, (uint8_t *)map + done, (size_t)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			gm_err_set(err, n ? errno : EIO, n ? "cannot read: %s" : "%s",
				   n ? strerror(errno) : "file shrank while being read");
			munmap(map, st.st_size);
			close(fd);
			return NULL;
		}
	}
	close(fd);
	mprotect(map, st.st_size, PROT_READ);
	elf = calloc(1, sizeof(*elf));
	if (!elf || !(elf->path = strdup(path))) {
		free(elf);
		munmap(map, st.st_size);
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	elf->data = map;
	elf->len = st.st_size;
	elf->mapped = true;
	return open_common(elf, err);
}

/* Do [off, off+len) and the dropped code sections overlap? */
static bool in_dropped(const struct goelf *elf, uint64_t off, uint64_t len)
{
	size_t i;

	if (!elf->code_dropped)
		return false;
	for (i = 0; i < elf->sec_cnt; i++) {
		const struct goelf_section *s = &elf->secs[i];

		if (!(s->flags & SHF_EXECINSTR) || s->type == SHT_NOBITS)
			continue;
		if (off < s->offset + s->size && s->offset < off + len)
			return true;
	}
	return false;
}

void goelf__drop_code(struct goelf *elf)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t lo, hi;
	size_t i;

	if (!elf || !elf->mapped || elf->code_dropped || page <= 0)
		return;
	elf->code_dropped = true;
	for (i = 0; i < elf->sec_cnt; i++) {
		const struct goelf_section *s = &elf->secs[i];

		if (!(s->flags & SHF_EXECINSTR) || s->type == SHT_NOBITS)
			continue;
		/* only the pages wholly inside the section: neighbours stay */
		lo = ((uintptr_t)elf->data + s->offset + page - 1) & ~(uintptr_t)(page - 1);
		hi = ((uintptr_t)elf->data + s->offset + s->size) & ~(uintptr_t)(page - 1);
		if (lo < hi)
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
}

struct goelf *goelf__open_mem(const void *buf, size_t len, struct gm_err *err)
{
	struct goelf *elf = calloc(1, sizeof(*elf));

	if (!elf || !(elf->path = strdup("<memory>"))) {
		free(elf);
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	elf->data = buf;
	elf->len = len;
	return open_common(elf, err);
}

void goelf__free(struct goelf *elf)
{
	int saved = errno;	/* a failed goelf__open's code */

	if (!elf)
		return;
	if (elf->mapped)
		munmap((void *)elf->data, elf->len);
	free(elf->relocs);
	free(elf->secs);
	free(elf->segs);
	free(elf->path);
	free(elf);
	errno = saved;
}

const char *goelf__path(const struct goelf *elf) { return elf->path; }
bool goelf__is_pie(const struct goelf *elf) { return elf->type == ET_DYN; }
const char *goelf__arch_name(const struct goelf *elf) { (void)elf; return "x86-64"; }
bool goelf__is_dynamic(const struct goelf *elf) { return elf->dynamic; }
bool goelf__has_symtab(const struct goelf *elf) { return elf->symtab != NULL; }

const uint8_t *goelf__data(const struct goelf *elf, size_t *len)
{
	*len = elf->len;
	return elf->data;
}

size_t goelf__section_cnt(const struct goelf *elf) { return elf->sec_cnt; }

const struct goelf_section *goelf__section(const struct goelf *elf, size_t idx)
{
	return idx < elf->sec_cnt ? &elf->secs[idx] : NULL;
}

const struct goelf_section *goelf__section_by_name(const struct goelf *elf,
						   const char *name)
{
	size_t i;

	for (i = 0; i < elf->sec_cnt; i++)
		if (!strcmp(elf->secs[i].name, name))
			return &elf->secs[i];
	return NULL;
}

const uint8_t *goelf__section_data(const struct goelf *elf,
				   const struct goelf_section *sec)
{
	/* parse() bounds-checked every section except NOBITS and NULL ones */
	if (!sec || sec->type == SHT_NOBITS || sec->type == SHT_NULL || !sec->size ||
	    in_dropped(elf, sec->offset, sec->size))
		return NULL;
	return elf->data + sec->offset;
}

size_t goelf__segment_cnt(const struct goelf *elf) { return elf->seg_cnt; }

const struct goelf_segment *goelf__segment(const struct goelf *elf, size_t idx)
{
	return idx < elf->seg_cnt ? &elf->segs[idx] : NULL;
}

int goelf__vaddr_to_off(const struct goelf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t i;

	for (i = 0; i < elf->seg_cnt; i++) {
		const struct goelf_segment *sg = &elf->segs[i];

		if (sg->type != PT_LOAD)
			continue;
		if (vaddr >= sg->vaddr && vaddr - sg->vaddr < sg->filesz) {
			*off = sg->offset + (vaddr - sg->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

const uint8_t *goelf__vaddr_ptr(const struct goelf *elf, uint64_t vaddr, uint64_t len)
{
	size_t i;

	for (i = 0; i < elf->seg_cnt; i++) {
		const struct goelf_segment *sg = &elf->segs[i];

		if (sg->type != PT_LOAD || vaddr < sg->vaddr)
			continue;
		if (!range_ok(vaddr - sg->vaddr, len, sg->filesz))
			continue;
		return goelf__file_ptr(elf, sg->offset + (vaddr - sg->vaddr), len);
	}
	return NULL;
}

int goelf__read_ptr(const struct goelf *elf, uint64_t vaddr, uint64_t *val)
{
	const uint8_t *p = goelf__vaddr_ptr(elf, vaddr, 8);
	size_t lo = 0, hi = elf->reloc_cnt;

	if (!p)
		return -EFAULT;
	memcpy(val, p, 8);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (elf->relocs[mid].where < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < elf->reloc_cnt && elf->relocs[lo].where == vaddr)
		*val = elf->relocs[lo].addend;
	return 0;
}

bool goelf__find_word(const struct goelf *elf, uint64_t value, goelf_word_cb cb, void *ctx)
{
	size_t i;

	for (i = 0; i < elf->seg_cnt; i++) {
		const struct goelf_segment *sg = &elf->segs[i];
		uint64_t a, v;

		if (sg->type != PT_LOAD || !(sg->flags & PF_W) || sg->filesz < 8)
			continue;
		for (a = (sg->vaddr + 7) & ~7ULL; a - sg->vaddr <= sg->filesz - 8; a += 8) {
			/* in PIE the word is zero in the file: read through relocations */
			if (goelf__read_ptr(elf, a, &v) || v != value)
				continue;
			if (cb(a, ctx))
				return true;
		}
	}
	return false;
}

static int find_sym(const struct goelf *elf, const struct goelf_section *tab,
		    const struct goelf_section *str, const char *name, size_t name_len,
		    bool prefix, uint64_t *addr, uint64_t *size)
{
	size_t i, n;

	if (!tab || tab->type == SHT_NOBITS)
		return -ENOENT;
	n = tab->size / sizeof(Elf64_Sym);
	for (i = 1; i < n; i++) {
		Elf64_Sym sym;
		const char *s;

		memcpy(&sym, elf->data + tab->offset + i * sizeof(sym), sizeof(sym));
		s = strtab_str(elf, str, sym.st_name);
		if (!s || strncmp(s, name, name_len) || (!prefix && s[name_len]))
			continue;
		if (addr)
			*addr = sym.st_value;
		if (size)
			*size = sym.st_size;
		return 0;
	}
	return -ENOENT;
}

int goelf__symbol(const struct goelf *elf, const char *name, uint64_t *addr, uint64_t *size)
{
	size_t len = strlen(name);

	if (!find_sym(elf, elf->symtab, elf->symstrtab, name, len, false, addr, size))
		return 0;
	return find_sym(elf, elf->dynsym, elf->dynstrtab, name, len, false, addr, size);
}

const char *goelf__object_at(const struct goelf *elf, uint64_t vaddr, uint64_t *off)
{
	const struct goelf_section *tab = elf->symtab;
	size_t i, n;

	if (!tab || tab->type == SHT_NOBITS)
		return NULL;
	n = tab->size / sizeof(Elf64_Sym);
	for (i = 1; i < n; i++) {
		Elf64_Sym sym;
		const char *s;

		memcpy(&sym, elf->data + tab->offset + i * sizeof(sym), sizeof(sym));
		if (ELF64_ST_TYPE(sym.st_info) != STT_OBJECT || !sym.st_size ||
		    vaddr < sym.st_value || vaddr - sym.st_value >= sym.st_size)
			continue;
		s = strtab_str(elf, elf->symstrtab, sym.st_name);
		if (!s)
			continue;
		*off = vaddr - sym.st_value;
		return s;
	}
	return NULL;
}

bool goelf__has_symbol_prefix(const struct goelf *elf, const char *prefix)
{
	size_t len = strlen(prefix);

	return !find_sym(elf, elf->symtab, elf->symstrtab, prefix, len, true, NULL, NULL) ||
	       !find_sym(elf, elf->dynsym, elf->dynstrtab, prefix, len, true, NULL, NULL);
}

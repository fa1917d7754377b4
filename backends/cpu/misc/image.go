package misc

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // ImageDecoder formats
	_ "image/png"
	"io"
	"strconv"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() { kernels.Register(kernels.Simple("ImageDecoder", imageDecoder)) }

// maxImagePixels bounds the size of a decoded image, checked from the
// header before the pixels are decoded.
const maxImagePixels = 1 << 28

// imageDecoder decodes PNG, JPEG, BMP, TIFF, WebP and binary PNM images
// into [H, W, C] uint8 pixels: RGB or BGR (C = 3), or Grayscale (C = 1,
// ITU-R 601 luma in 16-bit fixed point).
func imageDecoder(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if in[0].DType() != tensor.Uint8 || in[0].Rank() != 1 {
		return nil, fmt.Errorf("encoded_stream must be a 1-D uint8 tensor, is %s%v", in[0].DType(), in[0].Shape())
	}
	data := in[0].Bytes()
	format := c.Str("pixel_format")
	if format != "RGB" && format != "BGR" && format != "Grayscale" {
		return nil, fmt.Errorf("pixel_format %q is not RGB, BGR or Grayscale", format)
	}
	img, err := decodeImage(data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	ch := 3
	if format == "Grayscale" {
		ch = 1
	}
	out, err := tensor.Alloc(tensor.Uint8, []int{h, w, ch})
	if err != nil {
		return nil, err
	}
	px := out.Bytes()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl := rgb8(img.At(b.Min.X+x, b.Min.Y+y))
			i := (y*w + x) * ch
			switch format {
			case "RGB":
				px[i], px[i+1], px[i+2] = r, g, bl
			case "BGR":
				px[i], px[i+1], px[i+2] = bl, g, r
			default:
				px[i] = uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(bl)*7471 + 0x8000) >> 16)
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}

func rgb8(c color.Color) (r, g, b uint8) {
	if n, ok := c.(color.NRGBA); ok {
		return n.R, n.G, n.B
	}
	if y, ok := c.(color.Gray); ok {
		return y.Y, y.Y, y.Y
	}
	if y, ok := c.(color.YCbCr); ok {
		return color.YCbCrToRGB(y.Y, y.Cb, y.Cr)
	}
	r32, g32, b32, _ := c.RGBA()
	return uint8(r32 >> 8), uint8(g32 >> 8), uint8(b32 >> 8)
}

func decodeImage(data []byte) (image.Image, error) {
	if len(data) > 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6') {
		return decodePNM(data)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return nil, fmt.Errorf("image of %d×%d pixels is empty or too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %v", err)
	}
	return img, nil
}

// decodePNM reads binary PGM (P5) and PPM (P6) images with 8-bit samples.
func decodePNM(data []byte) (image.Image, error) {
	r := bufio.NewReader(bytes.NewReader(data))
	magic := make([]byte, 2)
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, err
	}
	var vals [3]int
	for i := range vals {
		tok, err := pnmToken(r)
		if err != nil {
			return nil, fmt.Errorf("PNM header: %v", err)
		}
		v, err := strconv.Atoi(tok)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("PNM header: bad number %q", tok)
		}
		vals[i] = v
	}
	w, h, maxv := vals[0], vals[1], vals[2]
	if maxv > 255 || w*h > maxImagePixels {
		return nil, fmt.Errorf("PNM of %d×%d pixels with maximum %d is not supported", w, h, maxv)
	}
	ch := 1
	if magic[1] == '6' {
		ch = 3
	}
	pix := make([]byte, w*h*ch)
	if _, err := io.ReadFull(r, pix); err != nil {
		return nil, fmt.Errorf("PNM pixels: %v", err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		var c color.NRGBA
		if ch == 1 {
			c = color.NRGBA{pix[i], pix[i], pix[i], 255}
		} else {
			c = color.NRGBA{pix[3*i], pix[3*i+1], pix[3*i+2], 255}
		}
		img.SetNRGBA(i%w, i/w, c)
	}
	return img, nil
}

// pnmToken reads one whitespace-separated header token, skipping comments;
// the single whitespace byte after the last token is consumed.
func pnmToken(r *bufio.Reader) (string, error) {
	var tok []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		switch {
		case b == '#' && len(tok) == 0:
			if _, err := r.ReadString('\n'); err != nil {
				return "", err
			}
		case b == ' ' || b == '\t' || b == '\n' || b == '\r':
			if len(tok) > 0 {
				return string(tok), nil
			}
		default:
			tok = append(tok, b)
			if len(tok) > 16 {
				return "", fmt.Errorf("token too long")
			}
		}
	}
}
